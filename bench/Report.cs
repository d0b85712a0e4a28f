using System.Globalization;
using System.Text;

namespace PatchPortal.Bench;

/// <summary>The results as markdown, plus the named figures the smoke mode checks (each must be there and positive).</summary>
public sealed class Report
{
    private readonly StringBuilder _text = new();
    private readonly Dictionary<string, double> _figures = new(StringComparer.Ordinal);
    private readonly List<string> _problems = [];

    public IReadOnlyDictionary<string, double> Figures => _figures;

    public IReadOnlyList<string> Problems => _problems;

    public void Line(string text = "") => _text.AppendLine(text);

    public void Heading(string text)
    {
        _text.AppendLine().AppendLine(text).AppendLine();
        Console.WriteLine(text);
    }

    public void Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        _text.AppendLine("| " + string.Join(" | ", header) + " |");
        _text.AppendLine("|" + string.Concat(header.Select(h => "---|")));
        foreach (var row in rows)
        {
            _text.AppendLine("| " + string.Join(" | ", row) + " |");
            Console.WriteLine("  " + string.Join("  ", row));
        }

        _text.AppendLine();
    }

    /// <summary>Records a figure for the smoke check and returns it formatted.</summary>
    public string Figure(string name, double value, string format = "0.0")
    {
        _figures[name] = value;
        if (double.IsNaN(value) || value <= 0)
        {
            _problems.Add($"{name} is {value.ToString(CultureInfo.InvariantCulture)}");
        }

        return value.ToString(format, CultureInfo.InvariantCulture);
    }

    public void Problem(string text)
    {
        _problems.Add(text);
        Console.Error.WriteLine("PROBLEM: " + text);
    }

    public override string ToString() => _text.ToString();

    public static string F(double value, string format = "0.0") => value.ToString(format, CultureInfo.InvariantCulture);
}
