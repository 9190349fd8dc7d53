using System.Reflection;
using Savant.Native.Frames;
using Savant.Native.Sleap;
using Savant.Native.Sockets;
using Savant.Native.Transport;
using Savant.Native.Tests.TestSupport;

namespace Savant.Native.UnitTests;

/// <summary>API rules enforced by reflection: the interop layer stays internal and no raw pointers leak into the public
/// API of the interop assembly and of the three packages above it (the ZeroMQ binding, the Savant transport and SLEAP).</summary>
[TestFixture]
[CancelAfter(TestTimeouts.Unit)]
public sealed class ApiShapeTests
{
    private static readonly Assembly Interop = typeof(ZmqException).Assembly;
    private static readonly Assembly Zmq = typeof(ZmqSocket).Assembly;
    private static readonly Assembly Transport = typeof(SavantWriter).Assembly;
    private static readonly Assembly Sleap = typeof(SleapSender).Assembly;

    /// <summary>The packages built on the interop layer, whose public signatures must not name an interop type.</summary>
    private static readonly Assembly[] Upper = [Zmq, Transport, Sleap];

    private static IEnumerable<Type> ExportedTypes => Upper.Append(Interop).SelectMany(a => a.GetExportedTypes());

    [Test]
    public void The_three_packages_are_distinct_assemblies_above_the_interop()
    {
        Assert.That(Upper.Append(Interop).Distinct().Count(), Is.EqualTo(4), "binding, transport, SLEAP and interop are separate assemblies");
        foreach (var assembly in Upper)
        {
            Assert.That(assembly.GetExportedTypes(), Is.Not.Empty, $"{assembly.GetName().Name} exports no types");
        }
    }

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
        foreach (var type in ExportedTypes)
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
        // Public and protected signatures of the binding, the transport and SLEAP (and the interop assembly's own
        // exported types: the error enum and the exception family) may name only visible types outside the
        // Savant.Native.Interop namespace: parameters, returns, properties, fields, events, base types and
        // interfaces, generic arguments and element types included. Internal interop types are not visible, so they
        // are caught too.
        var offenders = new SortedSet<string>(StringComparer.Ordinal);
        const BindingFlags all = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        foreach (var type in ExportedTypes)
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
        foreach (var assembly in Upper.Append(Interop))
        {
            string xml = Path.ChangeExtension(assembly.Location, ".xml");
            Assert.That(File.Exists(xml), Is.True, $"{xml} missing");
        }
    }
}
