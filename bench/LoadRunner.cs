using System.Globalization;
using System.Net;
using System.Text.Json;

namespace PatchPortal.Bench;

/// <summary>
/// Runs the load client as a child process (<c>patchportal-bench load ...</c>), so its own allocations and threads are
/// not the orchestrating bench's, and so TLS session resumption can be switched off for it alone (the runtime reads
/// <c>DOTNET_SYSTEM_NET_SECURITY_DISABLETLSRESUME</c> once per process).
/// </summary>
public static class LoadRunner
{
    public static async Task<LoadResult> RunAsync(string pkiDirectory, LoadSpec spec, bool disableResumption = false)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var arguments = new List<string>
        {
            typeof(LoadRunner).Assembly.Location, "load", "--pki", pkiDirectory, "--target", spec.Target.ToString(), "--path", spec.Path,
            "--connections", spec.Connections.ToString(CultureInfo.InvariantCulture),
            "--seconds", spec.Duration.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            "--warmup", spec.Warmup.TotalSeconds.ToString(CultureInfo.InvariantCulture),
            "--mode", spec.Mode.ToString(),
        };
        var environment = new Dictionary<string, string>();
        if (disableResumption)
        {
            environment["DOTNET_SYSTEM_NET_SECURITY_DISABLETLSRESUME"] = "1";
        }

        await using var child = ChildProcess.Start("dotnet", arguments, environment);
        using var timeout = new CancellationTokenSource(spec.Duration + spec.Warmup + TimeSpan.FromMinutes(2));
        await child.WaitForExitAsync(timeout.Token);
        var json = child.Output.Split(Environment.NewLine).LastOrDefault(l => l.StartsWith('{'));
        return json is null
            ? throw new InvalidOperationException($"the load client (exit code {child.ExitCode}) printed no result: {child.Output}")
            : JsonSerializer.Deserialize<LoadResult>(json)!;
    }

    /// <summary>The child's side: <c>load --pki DIR --target IP:PORT --path P --connections N --seconds S --warmup W --mode M</c>.</summary>
    public static async Task<int> MainAsync(string[] args)
    {
        string Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault() ?? throw new ArgumentException($"{name} is missing");
        var pki = Arg("--pki");
        using var client = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(Path.Combine(pki, "client.pem"), Path.Combine(pki, "client.key"));
        using var server = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(pki, "server.pem"));
        var spec = new LoadSpec(
            IPEndPoint.Parse(Arg("--target")), Arg("--path"), int.Parse(Arg("--connections"), CultureInfo.InvariantCulture),
            TimeSpan.FromSeconds(double.Parse(Arg("--seconds"), CultureInfo.InvariantCulture)), Enum.Parse<ConnectionMode>(Arg("--mode")),
            TimeSpan.FromSeconds(double.Parse(Arg("--warmup"), CultureInfo.InvariantCulture)));
        var result = await new LoadClient(client, server).RunAsync(spec, CancellationToken.None);
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }
}
