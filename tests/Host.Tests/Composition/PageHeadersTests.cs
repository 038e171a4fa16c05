using System.Net;
using Elsa.Migration.Host.Composition;
using Elsa.Migration.Host.Tests.Api;

namespace Elsa.Migration.Host.Tests.Composition;

/// <summary>Pages cannot be framed or sniffed, run scripts only from this server, and the Host header is checked
/// against AllowedHosts before it can reach /appsettings.json.</summary>
public sealed class PageHeadersTests() : ServerTest(TimeSpan.FromSeconds(60))
{
    [Theory]
    [InlineData("/")]
    [InlineData("/designer.html")]
    [InlineData("/instances.html")]
    [InlineData("/appsettings.json")]
    [InlineData("/api/migrations")]
    public async Task Every_answer_forbids_framing_and_sniffing_and_carries_the_content_security_policy(string path)
    {
        using var response = await Server.Client.GetAsync(path, Timeout.Token);

        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode}");
        Assert.Equal("DENY", Assert.Single(response.Headers.GetValues("X-Frame-Options")));
        Assert.Equal("nosniff", Assert.Single(response.Headers.GetValues("X-Content-Type-Options")));
        var policy = Assert.Single(response.Headers.GetValues("Content-Security-Policy"));
        Assert.Equal(SecurityHeaders.ContentSecurityPolicy, policy);
        Assert.Contains("frame-ancestors 'none'", policy);
    }

    [Fact]
    public async Task Our_pages_have_no_inline_script_the_policy_would_block()
    {
        foreach (var page in new[] { "/", "/designer.html", "/instances.html" })
            Assert.DoesNotContain("<script>", await Server.Client.GetStringAsync(page, Timeout.Token));
    }

    [Theory]
    [InlineData("evil.example")]
    [InlineData("127.0.0.1.evil.example")]
    public async Task A_Host_header_that_is_not_allowed_gets_400_and_is_not_echoed(string host)
    {
        var (status, body) = await GetAppSettingsAsync(host);

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.DoesNotContain(host, body);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("127.0.0.1")]
    public async Task A_loopback_Host_header_is_served(string host)
    {
        var (status, body) = await GetAppSettingsAsync(host);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains($"http://{host}:{Server.BaseAddress.Port}/elsa/api", body);
    }

    private async Task<(HttpStatusCode Status, string Body)> GetAppSettingsAsync(string host)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/appsettings.json");
        request.Headers.Host = $"{host}:{Server.BaseAddress.Port}";
        using var response = await Server.Client.SendAsync(request, Timeout.Token);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(Timeout.Token));
    }
}
