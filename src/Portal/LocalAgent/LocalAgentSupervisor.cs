using System.ComponentModel.DataAnnotations;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Options;
using PatchPortal.Portal.Data;
using PatchPortal.Portal.Data.Entities;
using PatchPortal.Portal.Hosts;
using PatchPortal.Portal.Infrastructure;
using PatchPortal.Portal.Pki;

namespace PatchPortal.Portal.LocalAgent;

/// <summary>The "Portal:LocalAgent" section: a agent on this machine, enrolled and supervised by the portal (for trying PatchPortal out).</summary>
public sealed class LocalAgentOptions
{
    public const string Section = "Portal:LocalAgent";

    public bool Enabled { get; set; }

    /// <summary>The agent: <c>patch-agent.dll</c> (run with this dotnet) or a self-contained <c>patch-agent</c> executable.</summary>
    public string? AgentPath { get; set; }

    [Required]
    public string Address { get; set; } = "127.0.0.1";

    [Range(1, 65535)]
    public int Port { get; set; } = 12443;

    /// <summary>The agent's package backend: auto, apt, dnf or simulated.</summary>
    [RegularExpression("^(auto|apt|dnf|simulated)$")]
    public string Backend { get; set; } = "auto";
}

/// <summary>
/// Adds this machine as a host, enrols its agent through the real token and CSR flow (<c>patch-agent enroll</c>), then
/// runs the agent as a child process until the portal stops. Nothing here shortcuts the production path: the agent makes
/// its own key, and the portal only signs.
/// </summary>
public sealed partial class LocalAgentSupervisor(
    IOptions<LocalAgentOptions> options,
    IDbContextFactory<PortalDbContext> factory,
    IHostEnrollment enrollment,
    PortalCertificateAuthority ca,
    PkiDirectory pki,
    IHostApplicationLifetime lifetime,
    ILogger<LocalAgentSupervisor> logger) : BackgroundService
{
    private Process? _agent;

    public string Directory { get; } = Path.Combine(Path.GetDirectoryName(pki.Path)!, "local-agent");

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!settings.Enabled)
        {
            return;
        }

        // Enrolment calls the portal's own HTTP endpoint, so wait until the portal listens.
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }

        var agentPath = settings.AgentPath is { Length: > 0 } configured ? Path.GetFullPath(configured) : null;
        if (agentPath is null || !File.Exists(agentPath))
        {
            LogNoAgent(logger, agentPath ?? "(Portal:LocalAgent:AgentPath not set)");
            return;
        }

        try
        {
            var config = WriteConfig(settings);
            var host = await EnsureHostAsync(settings, stoppingToken);
            if (!IsEnrolled(host))
            {
                var ticket = await enrollment.IssueTokenAsync(host.Id, "system:local-agent", null, stoppingToken);
                var exit = await RunToEndAsync(agentPath, ["enroll", "--portal", PortalUrl(ticket.Command), "--token", ticket.Token,
                    "--ca-fingerprint", "sha256:" + ca.CaFingerprint, "--hostname", host.Name, "--port", settings.Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    "--config", config], stoppingToken);
                if (exit != 0)
                {
                    LogEnrollFailed(logger, exit);
                    return;
                }
            }

            await SuperviseAsync(agentPath, config, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        Kill();
    }

    private bool IsEnrolled(ManagedHost host)
    {
        var certificate = Path.Combine(Directory, "certs", "server.pem");
        if (host.AgentCertificateFingerprint is null || !File.Exists(certificate))
        {
            return false;
        }

        using var current = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(certificate);
        return PortalCertificateAuthority.Fingerprint(current) == host.AgentCertificateFingerprint;
    }

    private async Task<ManagedHost> EnsureHostAsync(LocalAgentOptions settings, CancellationToken cancellationToken)
    {
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        var host = await db.Hosts.FirstOrDefaultAsync(h => h.Address == settings.Address && h.AgentPort == settings.Port, cancellationToken);
        if (host is null)
        {
            host = new ManagedHost { Name = Environment.MachineName.ToLowerInvariant(), Address = settings.Address, AgentPort = settings.Port, CreatedAt = DateTimeOffset.UtcNow, Health = HostHealth.PendingEnrolment };
            db.Hosts.Add(host);
            await db.SaveChangesAsync(cancellationToken);
            LogHostAdded(logger, host.Name, settings.Address, settings.Port);
        }

        return host;
    }

    private string WriteConfig(LocalAgentOptions settings)
    {
        var certs = Path.Combine(Directory, "certs");
        System.IO.Directory.CreateDirectory(certs);
        var path = Path.Combine(Directory, "agent.json");
        var root = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? [] : [];
        var agent = root["Agent"] as JsonObject ?? [];
        agent["Urls"] = $"https://{settings.Address}:{settings.Port}";
        agent["Backend"] = settings.Backend;
        agent["DataDir"] = Path.Combine(Directory, "data");
        agent["Tls"] = new JsonObject
        {
            ["Certificate"] = Path.Combine(certs, "server.pem"),
            ["Key"] = Path.Combine(certs, "server.key"),
            ["ClientCa"] = Path.Combine(certs, "ca.pem"),
        };
        root["Agent"] = agent;
        File.WriteAllText(path, root.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
        return path;
    }

    private async Task SuperviseAsync(string agentPath, string config, CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromSeconds(1);
        while (!stoppingToken.IsCancellationRequested)
        {
            var exit = await RunToEndAsync(agentPath, ["--config", config], stoppingToken, keep: true);
            LogAgentExited(logger, exit, delay.TotalSeconds);
            await Task.Delay(delay, stoppingToken);
            delay = TimeSpan.FromSeconds(Math.Min(delay.TotalSeconds * 2, 60));
        }
    }

    private async Task<int> RunToEndAsync(string agentPath, string[] arguments, CancellationToken cancellationToken, bool keep = false)
    {
        var dll = agentPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var startInfo = new ProcessStartInfo(dll ? Environment.ProcessPath ?? "dotnet" : agentPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (dll)
        {
            startInfo.ArgumentList.Add(agentPath);
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = new Process { StartInfo = startInfo };
        process.OutputDataReceived += (_, e) => { if (e.Data is { } line) { LogAgentOutput(logger, line); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is { } line) { LogAgentOutput(logger, line); } };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (keep)
        {
            _agent = process;
        }

        try
        {
            await process.WaitForExitAsync(cancellationToken);
            return process.ExitCode;
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            _agent = null;
        }
    }

    private void Kill()
    {
        if (_agent is { HasExited: false } agent)
        {
            agent.Kill(entireProcessTree: true);
        }
    }

    /// <summary>The portal URL the ticket's command names (the value after <c>--portal</c>).</summary>
    private static string PortalUrl(string command)
    {
        var parts = command.Split(' ');
        return parts[Array.IndexOf(parts, "--portal") + 1];
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local agent not started: {Path} does not exist (build src/Agent or set Portal:LocalAgent:AgentPath)")]
    private static partial void LogNoAgent(ILogger logger, string path);

    [LoggerMessage(Level = LogLevel.Information, Message = "Added this machine as host {Name} ({Address}:{Port}) for the local agent")]
    private static partial void LogHostAdded(ILogger logger, string name, string address, int port);

    [LoggerMessage(Level = LogLevel.Error, Message = "Local agent enrolment failed (exit code {ExitCode}); see the agent's output above")]
    private static partial void LogEnrollFailed(ILogger logger, int exitCode);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Local agent exited with {ExitCode}; restarting in {Seconds} s")]
    private static partial void LogAgentExited(ILogger logger, int exitCode, double seconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "[agent] {Line}")]
    private static partial void LogAgentOutput(ILogger logger, string line);
}

public static class LocalAgentExtensions
{
    public static WebApplicationBuilder AddLocalAgent(this WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddOptions<LocalAgentOptions>().BindConfiguration(LocalAgentOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<LocalAgentSupervisor>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<LocalAgentSupervisor>());
        return builder;
    }
}
