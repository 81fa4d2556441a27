// Stand-ins for the network in tests of downloads: one that always fails, one that serves fixed bytes.
using System.Net;

namespace Activations.Tests.Infrastructure;

/// <summary>Every request fails as an unreachable host does, so a download attempt cannot pass unnoticed.</summary>
public sealed class FailingHandler : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
        throw new HttpRequestException($"Name or service not known ({request.RequestUri!.Host}:{request.RequestUri.Port})");
}

/// <summary>Every request gets 200 OK with <paramref name="body"/>.</summary>
public sealed class ServingHandler(byte[] body) : HttpMessageHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct) =>
        Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = new ByteArrayContent(body) });
}
