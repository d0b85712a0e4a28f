using System.Runtime.Versioning;

// The product is Linux-only (dpkg/rpm, systemd, Linux TLS settings), and so are its tests.
[assembly: SupportedOSPlatform("linux")]
