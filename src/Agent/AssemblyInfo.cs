using System.Runtime.Versioning;

// The agent manages Linux hosts (dpkg/apt, rpm/dnf, systemd) and uses Linux-only TLS settings.
[assembly: SupportedOSPlatform("linux")]
