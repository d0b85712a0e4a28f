using System.Globalization;

namespace PatchPortal.Agent.Packages.Simulated;

/// <summary>A package as the simulated host records it.</summary>
public sealed record SimulatedPackage(string Name, string Version, string Architecture, long SizeBytes, string Description, IReadOnlyList<string> Dependencies, DateTimeOffset InstalledAt);

/// <summary>A version the simulated repositories offer.</summary>
public sealed record SimulatedCandidate(string Name, string Version, bool Security, string Description);

/// <summary>The simulated host's whole state; persisted as JSON so changes survive a restart.</summary>
public sealed class SimulatedState
{
    public Dictionary<string, SimulatedPackage> Installed { get; init; } = new(StringComparer.Ordinal);

    /// <summary>The newest version of every package the repositories offer (installed or not).</summary>
    public Dictionary<string, SimulatedCandidate> Repository { get; init; } = new(StringComparer.Ordinal);

    public bool RebootRequired { get; set; }
}

/// <summary>Generates a realistic, deterministic Debian-like package set from a seed.</summary>
public static class SimulatedCatalog
{
    /// <summary>Common Debian packages: the generated host looks like a real server, not like "pkg-17".</summary>
    private static readonly (string Name, string Description)[] CommonPackages =
    [
        ("linux-image-amd64", "Linux for 64-bit PCs (meta-package)"), ("libc6", "GNU C Library: Shared libraries"),
        ("systemd", "system and service manager"), ("openssl", "Secure Sockets Layer toolkit - cryptographic utility"),
        ("libssl3", "Secure Sockets Layer toolkit - shared libraries"), ("dbus", "simple interprocess messaging system"),
        ("bash", "GNU Bourne Again SHell"), ("coreutils", "GNU core utilities"), ("dpkg", "Debian package management system"),
        ("apt", "commandline package manager"), ("base-files", "Debian base system miscellaneous files"),
        ("openssh-server", "secure shell (SSH) server"), ("openssh-client", "secure shell (SSH) client"),
        ("curl", "command line tool for transferring data with URL syntax"), ("wget", "retrieves files from the web"),
        ("ca-certificates", "Common CA certificates"), ("tzdata", "time zone and daylight-saving time data"),
        ("sudo", "Provide limited super user privileges"), ("vim", "Vi IMproved - enhanced vi editor"),
        ("nano", "small, friendly text editor"), ("less", "pager program similar to more"), ("grep", "GNU grep"),
        ("sed", "GNU stream editor"), ("gzip", "GNU compression utilities"), ("tar", "GNU version of the tar archiving utility"),
        ("xz-utils", "XZ-format compression utilities"), ("zlib1g", "compression library - runtime"),
        ("libzstd1", "fast lossless compression algorithm"), ("liblzma5", "XZ-format compression library"),
        ("libsystemd0", "systemd utility library"), ("libudev1", "libudev shared library"), ("udev", "/dev/ and hotplug management daemon"),
        ("nginx", "small, powerful, scalable web/proxy server"), ("postgresql-15", "The World's Most Advanced Open Source Relational Database"),
        ("postgresql-client-15", "front-end programs for PostgreSQL 15"), ("redis-server", "Persistent key-value database with network interface"),
        ("python3", "interactive high-level object-oriented language"), ("python3.11", "Interactive high-level object-oriented language (version 3.11)"),
        ("perl", "Larry Wall's Practical Extraction and Report Language"), ("git", "fast, scalable, distributed revision control system"),
        ("rsync", "fast, versatile, remote (and local) file-copying tool"), ("cron", "process scheduling daemon"),
        ("rsyslog", "reliable system and kernel logging daemon"), ("logrotate", "Log rotation utility"),
        ("iproute2", "networking and traffic control tools"), ("iptables", "administration tools for packet filtering and NAT"),
        ("nftables", "Program to control packet filtering rules by Netfilter project"), ("chrony", "Versatile implementation of the Network Time Protocol"),
        ("libpam0g", "Pluggable Authentication Modules library"), ("libpam-modules", "Pluggable Authentication Modules for PAM"),
        ("login", "system login tools"), ("passwd", "change and administer password and group data"), ("adduser", "add and remove users and groups"),
        ("libcurl4", "easy-to-use client-side URL transfer library (OpenSSL flavour)"), ("libgnutls30", "GNU TLS library - main runtime library"),
        ("libgcrypt20", "LGPL Crypto library - runtime library"), ("libxml2", "GNOME XML library"), ("libsqlite3-0", "SQLite 3 shared library"),
        ("libexpat1", "XML parsing C library - runtime library"), ("libpcre2-8-0", "New Perl Compatible Regular Expression Library- 8 bit runtime files"),
        ("libglib2.0-0", "GLib library of C routines"), ("libkrb5-3", "MIT Kerberos runtime libraries"), ("libgssapi-krb5-2", "MIT Kerberos runtime libraries - krb5 GSS-API Mechanism"),
        ("libnghttp2-14", "library implementing HTTP/2 protocol (shared library)"), ("libssh2-1", "SSH2 client-side library"),
        ("libcap2", "POSIX 1003.1e capabilities (library)"), ("libselinux1", "SELinux runtime shared libraries"), ("libaudit1", "Dynamic library for security auditing"),
        ("e2fsprogs", "ext2/ext3/ext4 file system utilities"), ("util-linux", "miscellaneous system utilities"), ("mount", "tools for mounting and manipulating filesystems"),
        ("procps", "/proc file system utilities"), ("psmisc", "utilities that use the proc file system"), ("htop", "interactive processes viewer"),
        ("lsof", "utility to list open files"), ("strace", "System call tracer"), ("tcpdump", "command-line network traffic analyzer"),
        ("dnsutils", "Transitional package for bind9-dnsutils"), ("bind9-host", "DNS Lookup Utility"), ("netcat-openbsd", "TCP/IP swiss army knife"),
        ("unattended-upgrades", "automatic installation of security upgrades"), ("needrestart", "check which daemons need to be restarted after library upgrades"),
        ("intel-microcode", "Processor microcode firmware for Intel CPUs"), ("firmware-linux-free", "Binary firmware for various drivers in the Linux kernel"),
        ("grub-pc", "GRand Unified Bootloader, version 2 (PC/BIOS version)"), ("initramfs-tools", "generic modular initramfs generator"),
        ("kmod", "tools for managing Linux kernel modules"), ("zstd", "fast lossless compression algorithm -- CLI tool"),
        ("jq", "lightweight and flexible command-line JSON processor"), ("unzip", "De-archiver for .zip files"), ("zip", "Archiver for .zip files"),
        ("gnupg", "GNU privacy guard - a free PGP replacement"), ("dirmngr", "GNU privacy guard - network certificate management service"),
        ("locales", "GNU C Library: National Language (locale) data [support]"), ("debconf", "Debian configuration management system"),
        ("sensible-utils", "Utilities for sensible alternative selection"), ("mawk", "Pattern scanning and text processing language"),
        ("findutils", "utilities for finding files--find, xargs"), ("diffutils", "File comparison utilities"), ("hostname", "utility to set/show the host name or domain name"),
        ("ncurses-base", "basic terminal type definitions"), ("libncursesw6", "shared libraries for terminal handling (wide character support)"),
        ("libreadline8", "GNU readline and history libraries, run-time libraries"), ("libbz2-1.0", "high-quality block-sorting file compressor library - runtime"),
    ];

    /// <summary>Packages the repositories offer but the host does not have, so installs have something to install.</summary>
    private static readonly (string Name, string Description)[] Installable =
    [
        ("hello", "example package based on GNU hello"), ("tree", "displays an indented directory tree, in color"),
        ("haproxy", "fast and reliable load balancing reverse proxy"), ("memcached", "high-performance memory object caching system"),
        ("tmux", "terminal multiplexer"), ("ncdu", "ncurses disk usage viewer"), ("mariadb-server", "MariaDB database server"),
    ];

    private static readonly string[] LibraryStems =
    [
        "xcb", "gdk", "pango", "cairo", "harfbuzz", "freetype", "fontconfig", "jpeg", "png", "tiff", "webp", "avahi", "cups", "ldap",
        "sasl", "idn", "unistring", "tasn", "p11-kit", "nettle", "hogweed", "gmp", "mpfr", "ffi", "uuid", "blkid", "mount", "smartcols",
        "seccomp", "apparmor", "acl", "attr", "crypt", "db", "gdbm", "elf", "dw", "bpf", "nl", "mnl", "nftnl", "pcap", "sensors", "wrap",
    ];

    public static SimulatedState Generate(int seed, int packageCount, int pendingUpdates)
    {
        var random = new Random(seed);
        var installedAt = new DateTimeOffset(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);
        var names = CommonPackages.Take(packageCount).ToList();
        for (var i = 0; names.Count < packageCount; i++)
        {
            var stem = LibraryStems[i % LibraryStems.Length];
            var generation = (i / LibraryStems.Length) + 1;
            names.Add(($"lib{stem}{generation}", $"{stem} support library (runtime, generation {generation})"));
        }

        var state = new SimulatedState();
        foreach (var (name, description) in names)
        {
            var version = NewVersion(random);
            var dependencies = name == "libc6" ? [] : new List<string> { "libc6" };
            if (name.StartsWith("lib", StringComparison.Ordinal) && random.Next(3) == 0)
            {
                dependencies.Add(names[random.Next(Math.Min(names.Count, CommonPackages.Length))].Name);
            }

            state.Installed[name] = new SimulatedPackage(name, version, name.StartsWith("ca-", StringComparison.Ordinal) || name == "tzdata" ? "all" : "amd64",
                random.Next(16, 40_000) * 1024L, description, dependencies.Where(d => d != name).Distinct().ToList(), installedAt.AddMinutes(random.Next(0, 500_000)));
            state.Repository[name] = new SimulatedCandidate(name, version, false, description);
        }

        foreach (var (name, description) in Installable)
        {
            state.Repository[name] = new SimulatedCandidate(name, NewVersion(random), false, description);
        }

        // The kernel goes first so any host with pending updates also shows a security update that needs a reboot.
        var pending = names.Take(1).Concat(names.Skip(1).OrderBy(_ => random.Next())).Take(pendingUpdates).ToList();
        for (var i = 0; i < pending.Count; i++)
        {
            var current = state.Installed[pending[i].Name];
            state.Repository[current.Name] = new SimulatedCandidate(current.Name, current.Version + "+deb12u" + (i % 4 + 1).ToString(CultureInfo.InvariantCulture),
                Security: i % 3 == 0, current.Description);
        }

        return state;
    }

    private static string NewVersion(Random random) =>
        string.Create(CultureInfo.InvariantCulture, $"{random.Next(0, 12)}.{random.Next(0, 30)}.{random.Next(0, 20)}-{random.Next(1, 6)}");
}
