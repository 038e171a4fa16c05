using Elsa.Migration.Activities.Inventory;
using Elsa.Migration.Activities.Nodes;

namespace Elsa.Migration.Activities.Tests.Inventory;

/// <summary>A procedure's Site input is a name by the site-name rule, or empty with a default: never a path.</summary>
public sealed class SiteSelectionTests
{
    [Theory]
    [InlineData("main", true)]
    [InlineData("site-2", true)]
    [InlineData("0", true)]
    [InlineData("/etc/passwd", false)]
    [InlineData("../x", false)]
    [InlineData("x/..", false)]
    [InlineData("~root", false)]
    [InlineData(".", false)]
    [InlineData("site.json", false)]
    [InlineData("Main", false)]
    [InlineData("-rf", false)]
    [InlineData("a b", false)]
    [InlineData("", false)]
    public void IsSiteName_ShouldAcceptOnlyLowercaseLettersDigitsAndDashes(string name, bool valid) =>
        Assert.Equal(valid, NameRules.IsSiteName(name));

    [Fact]
    public void IsSiteName_ShouldAllow63CharactersButNot64() =>
        Assert.Equal((true, false), (NameRules.IsSiteName(new string('a', 63)), NameRules.IsSiteName(new string('a', 64))));

    [Fact]
    public void Name_WhenEmpty_ShouldUseTheDefaultOrSayThereIsNone()
    {
        Assert.Equal("main", SiteSelection.Name(new Catalog("main"), " "));
        Assert.Equal("other", SiteSelection.Name(new Catalog("main"), "other"));
        Assert.Contains("no default site is configured (Sites:Default)", Assert.Throws<ArgumentException>(() => SiteSelection.Name(new Catalog(null), null)).Message);
    }

    [Fact]
    public async Task LoadAsync_WhenTheInputIsAPath_ShouldRefuseWithoutAskingTheCatalog()
    {
        var catalog = new Catalog(null);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => SiteSelection.LoadAsync(catalog, "/etc/passwd", CancellationToken.None));

        Assert.Contains("Invalid site name '/etc/passwd'", error.Message);
        Assert.Contains("./elsa-migrate site import FILE --name NAME", error.Message);
        Assert.Empty(catalog.Asked);
    }

    [Fact]
    public async Task LoadAsync_WhenTheSiteIsUnknown_ShouldSayHowToRegisterIt()
    {
        var error = await Assert.ThrowsAsync<SiteNotFoundException>(() => SiteSelection.LoadAsync(new Catalog(null), "nosuch", CancellationToken.None));

        Assert.Contains("./elsa-migrate site import FILE --name nosuch", error.Message);
    }

    /// <summary>A catalog with no site, recording what it was asked for.</summary>
    private sealed class Catalog(string? defaultSite) : ISiteCatalog
    {
        public List<string> Asked { get; } = [];
        public string? DefaultSite => defaultSite;

        public Task<SiteInventory> GetAsync(string site, CancellationToken cancellationToken)
        {
            Asked.Add(site);
            return Task.FromException<SiteInventory>(new SiteNotFoundException(site));
        }
    }
}
