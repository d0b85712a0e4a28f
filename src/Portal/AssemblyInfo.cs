using System.Runtime.Versioning;

// The portal runs on Linux (deb/rpm packages, systemd) and keeps its CA key with Unix file modes.
[assembly: SupportedOSPlatform("linux")]
