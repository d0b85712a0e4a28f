using PatchPortal.Portal.Account;

namespace PatchPortal.Tests.Unit.Portal.Account;

public sealed class PasswordGeneratorTests
{
    [Fact]
    public void Generate_ContainsEveryCharacterClass_WhenCalledRepeatedly()
    {
        for (var i = 0; i < 200; i++)
        {
            var password = PasswordGenerator.Generate();

            Assert.Equal(20, password.Length);
            Assert.Contains(password, char.IsUpper);
            Assert.Contains(password, char.IsLower);
            Assert.Contains(password, char.IsDigit);
        }
    }

    [Fact]
    public void Generate_Throws_WhenLengthIsBelowPolicy() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PasswordGenerator.Generate(8));
}
