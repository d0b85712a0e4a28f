namespace PatchPortal.Portal.Data.Entities;

/// <summary>The stage a group of hosts belongs to; production usually asks for more approvals.</summary>
public enum GroupEnvironment
{
    Development = 0,
    Staging = 1,
    Production = 2,
}
