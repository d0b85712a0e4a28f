using Microsoft.Extensions.Options;
using PatchPortal.Agent.Api;
using PatchPortal.Agent.Configuration;
using PatchPortal.Agent.Jobs;
using PatchPortal.Agent.Machine;
using PatchPortal.Agent.Packages;
using PatchPortal.Agent.Security;

if (args.Length > 0 && args[0] == "enroll")
{
    return await EnrollCommand.RunAsync(args[1..], Console.Out, Console.Error);
}

var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
AgentConfiguration.Load(builder.Configuration, args);
builder.Services.AddSystemd();

// Bad configuration stops the agent here, before it listens, with the key at fault named.
AgentOptions options;
TlsMaterial tls;
ClientRevocation revocation;
try
{
    options = builder.Configuration.GetSection(AgentOptions.Section).Get<AgentOptions>() ?? new AgentOptions();
    var failures = new List<string>();
    failures.AddRange(AgentOptionsAnnotations.Failures(options));
    if (new AgentOptionsValidator().Validate(null, options) is { Failed: true } invalid)
    {
        failures.AddRange(invalid.Failures);
    }

    if (failures.Count > 0)
    {
        await Console.Error.WriteLineAsync("patch-agent: invalid configuration:\n  " + string.Join("\n  ", failures));
        return 2;
    }

    tls = TlsMaterial.Load(options.Tls.Certificate, options.Tls.Key, options.Tls.ClientCa);
    revocation = new ClientRevocation(options.Tls.Crl, tls.ClientCa);
    builder.AddPackageBackends();
}
catch (Exception ex) when (ex is AgentConfigurationException or InvalidOperationException)
{
    await Console.Error.WriteLineAsync("patch-agent: invalid configuration: " + ex.Message);
    return 2;
}

builder.Services.AddSingleton<IValidateOptions<AgentOptions>, AgentOptionsValidator>();
builder.AddAgentSecurity(options, tls, revocation);
builder.AddJobs();
builder.AddAgentApi(options);
builder.AddAgentOpenApi();
builder.Services.AddHostedService<IdleMemoryTrimmer>();

var app = builder.Build();
app.UseAgentApi(options);
app.MapSystemApi();
app.MapPackagesApi();
app.MapPatchesApi();
app.MapJobsApi();
app.MapJobsWebSocket();
app.MapAgentMetrics();
app.MapAgentOpenApi();
await app.RunAsync();
return 0;
