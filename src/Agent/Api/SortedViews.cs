using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace PatchPortal.Agent.Api;

/// <summary>
/// A backend's list as wire objects in one order, made once per list and order. The apt backend hands out the same list
/// instance until dpkg's or apt's state changes, so a listing converts and sorts once per change rather than once per
/// request (the portal pages through the whole list sorted by name on every inventory sync). A backend that builds a
/// new list per call (dnf, simulated) pays the same as before. The views live as long as their list.
/// </summary>
internal static class SortedViews
{
    private static readonly ConditionalWeakTable<object, ConcurrentDictionary<string, object>> Views = new();

    /// <summary><paramref name="build"/>'s result for <paramref name="list"/> and <paramref name="order"/>, built on first use.</summary>
    public static TView[] Of<TItem, TView>(IReadOnlyList<TItem> list, string order, Func<IReadOnlyList<TItem>, string, TView[]> build)
    {
        ArgumentNullException.ThrowIfNull(list);
        var views = Views.GetValue(list, static _ => new ConcurrentDictionary<string, object>(StringComparer.Ordinal));
        return (TView[])views.GetOrAdd(order, static (key, state) => state.build(state.list, key), (list, build));
    }

    /// <summary>
    /// The items of <paramref name="view"/> that <paramref name="include"/> keeps (all when null), counted, with the
    /// <paramref name="limit"/> of them that follow the first <paramref name="offset"/>: one pass, no copy of the rest.
    /// </summary>
    public static (IReadOnlyList<T> Page, int Total) Page<T>(T[] view, Func<T, bool>? include, int limit, int offset) =>
        Page(view, view, include, limit, offset);

    /// <summary>
    /// As <see cref="Page{T}(T[], Func{T, bool}?, int, int)"/>, answering with the items of <paramref name="output"/>
    /// that stand where the kept items of <paramref name="view"/> stand (the same list in another form).
    /// </summary>
    public static (IReadOnlyList<TOut> Page, int Total) Page<T, TOut>(T[] view, TOut[] output, Func<T, bool>? include, int limit, int offset)
    {
        ArgumentNullException.ThrowIfNull(view);
        ArgumentNullException.ThrowIfNull(output);
        if (output.Length != view.Length)
        {
            throw new ArgumentException("the output must be the view in another form", nameof(output));
        }

        if (include is null)
        {
            var start = Math.Min(offset, view.Length);
            return (new ArraySegment<TOut>(output, start, Math.Min(limit, view.Length - start)), view.Length);
        }

        var page = new List<TOut>(Math.Min(limit, view.Length));
        var total = 0;
        for (var i = 0; i < view.Length; i++)
        {
            if (!include(view[i]))
            {
                continue;
            }

            if (total >= offset && page.Count < limit)
            {
                page.Add(output[i]);
            }

            total++;
        }

        return (page, total);
    }
}
