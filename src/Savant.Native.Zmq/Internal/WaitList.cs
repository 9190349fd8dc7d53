namespace Savant.Native.Internal;

/// <summary>A node of a <see cref="WaitList{TNode}"/>; its links are guarded by the list owner's lock.</summary>
/// <typeparam name="TNode">The node type itself.</typeparam>
internal abstract class WaitListNode<TNode>
    where TNode : WaitListNode<TNode>
{
    /// <summary>The node before this one, or null when first.</summary>
    public TNode? Previous;

    /// <summary>The node after this one, or null when last.</summary>
    public TNode? Next;

    /// <summary>Whether the node is in a list.</summary>
    public bool IsWaiting;
}

/// <summary>
/// A first-come-first-served list of waiting operations (senders waiting for queue space, consumers waiting for a
/// result), linked through the nodes themselves so that waiting allocates nothing. Not thread-safe: the owner's lock
/// guards every change; <see cref="First"/> may also be read without it (a volatile read) as a quick emptiness check.
/// </summary>
/// <typeparam name="TNode">The node type.</typeparam>
internal sealed class WaitList<TNode>
    where TNode : WaitListNode<TNode>
{
    private TNode? _first;
    private TNode? _last;

    /// <summary>The longest-waiting node, or null when the list is empty.</summary>
    public TNode? First => Volatile.Read(ref _first);

    /// <summary>Appends <paramref name="node"/> (not in a list) at the end.</summary>
    public void Append(TNode node)
    {
        node.IsWaiting = true;
        node.Previous = _last;
        if (_last is null)
        {
            Volatile.Write(ref _first, node);
        }
        else
        {
            _last.Next = node;
        }

        _last = node;
    }

    /// <summary>Removes <paramref name="node"/> (in this list) wherever it is.</summary>
    public void Unlink(TNode node)
    {
        if (node.Previous is null)
        {
            Volatile.Write(ref _first, node.Next);
        }
        else
        {
            node.Previous.Next = node.Next;
        }

        if (node.Next is null)
        {
            _last = node.Previous;
        }
        else
        {
            node.Next.Previous = node.Previous;
        }

        node.Previous = null;
        node.Next = null;
        node.IsWaiting = false;
    }
}
