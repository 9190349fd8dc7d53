using System.Reflection;
using Savant.Native.Frames;
using Savant.Native.Sockets;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.Tests.Foundation;

/// <summary>API rules enforced by reflection: the interop layer stays internal and no raw pointers leak into the public API.</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Default)]
public sealed class ApiShapeTests
{
    private static readonly Assembly Interop = typeof(ZmqException).Assembly;
    private static readonly Assembly Managed = typeof(ZmqSocket).Assembly;

    [Test]
    public void No_public_types_in_the_interop_namespace()
    {
        var leaked = Interop.GetExportedTypes().Where(t => t.Namespace == "Savant.Native.Interop").Select(t => t.FullName);
        Assert.That(leaked, Is.Empty);
    }

    [Test]
    public void No_public_member_exposes_IntPtr_or_SafeHandle()
    {
        var offenders = new List<string>();
        foreach (var type in Interop.GetExportedTypes().Concat(Managed.GetExportedTypes()))
        {
            foreach (var member in type.GetMembers(BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly))
            {
                IEnumerable<Type> types = member switch
                {
                    MethodInfo m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType),
                    PropertyInfo p => [p.PropertyType],
                    FieldInfo f => [f.FieldType],
                    ConstructorInfo c => c.GetParameters().Select(p => p.ParameterType),
                    _ => [],
                };
                if (types.Any(t => t == typeof(IntPtr) || t == typeof(UIntPtr) || t.IsPointer || typeof(System.Runtime.InteropServices.SafeHandle).IsAssignableFrom(t)))
                {
                    offenders.Add($"{type.FullName}.{member.Name}");
                }
            }
        }

        Assert.That(offenders, Is.Empty);
    }

    [Test]
    public void No_interop_type_appears_in_a_public_signature()
    {
        // Public and protected signatures of the library (and the interop assembly's own exported types) may name only
        // visible types outside the Savant.Native.Interop namespace: parameters, returns, properties, fields, events,
        // base types and interfaces, generic arguments and element types included.
        var offenders = new SortedSet<string>(StringComparer.Ordinal);
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in Managed.GetExportedTypes().Concat(Interop.GetExportedTypes()))
        {
            var surface = new List<(string Where, Type Type)>();
            if (type.BaseType is { } baseType)
            {
                surface.Add(("base type", baseType));
            }

            surface.AddRange(type.GetInterfaces().Select(i => ("interface", i)));
            foreach (var member in type.GetMembers(all).Where(IsVisibleOutside))
            {
                IEnumerable<Type> types = member switch
                {
                    MethodInfo m => m.GetParameters().Select(p => p.ParameterType).Append(m.ReturnType),
                    PropertyInfo p => [p.PropertyType],
                    FieldInfo f => [f.FieldType],
                    EventInfo e => e.EventHandlerType is { } handler ? [handler] : [],
                    ConstructorInfo c => c.GetParameters().Select(p => p.ParameterType),
                    _ => [],
                };
                surface.AddRange(types.Select(t => (member.Name, t)));
            }

            foreach (var (where, used) in surface)
            {
                foreach (var part in Flatten(used))
                {
                    if (part.Namespace == "Savant.Native.Interop" || !(part.IsVisible || part.IsGenericParameter))
                    {
                        offenders.Add($"{type.FullName} ({where}): {part.FullName ?? part.Name}");
                    }
                }
            }
        }

        Assert.That(offenders, Is.Empty);
    }

    private static bool IsVisibleOutside(MemberInfo member) => member switch
    {
        MethodBase m => m.IsPublic || m.IsFamily || m.IsFamilyOrAssembly,
        FieldInfo f => f.IsPublic || f.IsFamily || f.IsFamilyOrAssembly,
        PropertyInfo p => p.GetAccessors(nonPublic: true).Any(a => a.IsPublic || a.IsFamily || a.IsFamilyOrAssembly),
        EventInfo e => e.AddMethod is { } add && (add.IsPublic || add.IsFamily || add.IsFamilyOrAssembly),
        _ => false,
    };

    private static IEnumerable<Type> Flatten(Type type)
    {
        if (type.HasElementType)
        {
            return Flatten(type.GetElementType()!);
        }

        return type.IsGenericType ? type.GetGenericArguments().SelectMany(Flatten).Prepend(type) : [type];
    }

    [Test]
    public void Every_public_socket_and_frame_type_is_documented_by_the_compiler()
    {
        // GenerateDocumentationFile + warnings-as-errors in src/ and interop/ make a missing doc comment a build error;
        // this checks the XML documentation actually ships next to the assemblies.
        foreach (var assembly in new[] { Interop, Managed })
        {
            string xml = Path.ChangeExtension(assembly.Location, ".xml");
            Assert.That(File.Exists(xml), Is.True, $"{xml} missing");
        }
    }
}
