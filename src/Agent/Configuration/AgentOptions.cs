using System.ComponentModel.DataAnnotations;

namespace PatchPortal.Agent.Configuration;

/// <summary>The agent's settings, bound from the <c>Agent</c> section (keys as in AGENT_API.md).</summary>
public sealed class AgentOptions
{
    public const string Section = "Agent";

    [Required]
    public string Urls { get; set; } = "https://0.0.0.0:12443";

    public TlsOptions Tls { get; set; } = new();

    /// <summary>Client certificate subject CNs or <c>sha256:</c> fingerprints allowed to call; empty refuses all.</summary>
    public List<string> AllowedClients { get; set; } = [];

    /// <summary>Source address CIDRs allowed to connect; when none are configured, loopback only.</summary>
    /// <remarks>The default is applied after binding: the binder appends to a list that already holds items.</remarks>
    public List<string> AllowedNetworks { get; set; } = [];

    public static IReadOnlyList<string> DefaultAllowedNetworks { get; } = ["127.0.0.0/8", "::1/128"];

    public IReadOnlyList<string> EffectiveAllowedNetworks => AllowedNetworks.Count > 0 ? AllowedNetworks : DefaultAllowedNetworks;

    /// <summary><c>auto</c>, <c>apt</c>, <c>dnf</c> or <c>simulated</c>.</summary>
    [Required]
    public string Backend { get; set; } = "auto";

    [Required]
    public string DataDir { get; set; } = "/var/lib/patch-agent";

    public JobOptions Jobs { get; set; } = new();

    public HealthOptions Health { get; set; } = new();

    public LimitOptions Limits { get; set; } = new();

    public RebootOptions Reboot { get; set; } = new();

    public SimulatedOptions Simulated { get; set; } = new();
}

public sealed class TlsOptions
{
    [Required]
    public string Certificate { get; set; } = "/etc/patch-agent/certs/server.pem";

    [Required]
    public string Key { get; set; } = "/etc/patch-agent/certs/server.key";

    [Required]
    public string ClientCa { get; set; } = "/etc/patch-agent/certs/ca.pem";

    /// <summary>Optional CRL (PEM or DER) signed by the client CA; certificates on it are refused. Re-read when it changes.</summary>
    public string? Crl { get; set; }

    /// <summary>Where to fetch a fresh CRL (the portal's <c>/pki/crl.pem</c>); written over <see cref="Crl"/> when newer.</summary>
    public string? CrlUrl { get; set; }

    [Range(1, 24 * 60)]
    public int CrlRefreshMinutes { get; set; } = 15;
}

public sealed class JobOptions
{
    [Range(1, 1)]
    public int MaxConcurrent { get; set; } = 1;

    [Range(1, 24 * 60)]
    public int TimeoutMinutes { get; set; } = 30;

    [Range(1, 3650)]
    public int RetentionDays { get; set; } = 30;
}

public sealed class HealthOptions
{
    /// <summary>Serve <c>GET /health</c> to callers without a client certificate (monitoring).</summary>
    public bool AllowAnonymous { get; set; }
}

public sealed class LimitOptions
{
    [Range(1, 100_000)]
    public int MaxConnections { get; set; } = 1000;

    [Range(1024, 64L * 1024 * 1024)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    [Range(1024, 1024 * 1024)]
    public int MaxRequestHeadersBytes { get; set; } = 16 * 1024;

    [Range(1, 3600)]
    public int RequestTimeoutSeconds { get; set; } = 60;

    /// <summary>How long a client may take to send its request headers (slow clients are cut off).</summary>
    [Range(1, 600)]
    public int RequestHeadersTimeoutSeconds { get; set; } = 15;

    /// <summary>How long a new connection may take to start and finish its TLS handshake.</summary>
    [Range(1, 600)]
    public int HandshakeTimeoutSeconds { get; set; } = 10;

    /// <summary>Requests a client may make per minute; 0 turns the limit off.</summary>
    [Range(0, 10_000_000)]
    public int RequestsPerMinute { get; set; } = 600;
}

public sealed class RebootOptions
{
    /// <summary>What reboots the host when <c>Agent:Reboot:Command</c> is not configured.</summary>
    public static IReadOnlyList<string> DefaultCommand { get; } = ["/usr/bin/systemctl", "reboot"];

    /// <summary>The command (argument list, no shell) that reboots the host; empty means <see cref="DefaultCommand"/>.</summary>
    /// <remarks>
    /// Deliberately empty by default: configuration binding appends to a list that already has items, so a default
    /// here plus a configured <c>["/bin/true"]</c> would run <c>systemctl reboot /bin/true</c>.
    /// </remarks>
    public List<string> Command { get; set; } = [];

    /// <summary>The command that actually runs.</summary>
    public IReadOnlyList<string> EffectiveCommand => Command.Count == 0 ? DefaultCommand : Command;
}

/// <summary>The named demo and load-test backend: a realistic package set with configurable timing and failures.</summary>
public sealed class SimulatedOptions
{
    [Range(0, 3_600_000)]
    public int JobDurationMs { get; set; } = 3000;

    [Range(0.0, 1.0)]
    public double FailureRate { get; set; }

    [Range(0, 100_000)]
    public int PackageCount { get; set; } = 600;

    [Range(0, 10_000)]
    public int PendingUpdates { get; set; } = 24;

    /// <summary>Seed for the generated package set, so a simulated host is stable across restarts.</summary>
    public int Seed { get; set; } = 42;

    /// <summary>Simulated reboots restart nothing; they only clear the reboot-required flag.</summary>
    public bool SimulateReboot { get; set; } = true;
}
