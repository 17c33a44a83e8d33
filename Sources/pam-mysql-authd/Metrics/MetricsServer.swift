import AuthDaemonCore
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// `--metrics HOST:PORT`: an HTTP/1.1 listener on that address only, answering `GET /metrics`
/// with the Prometheus text format (MetricsHTTPHandler). The configuration has already refused a
/// non-loopback host without `metrics_public = yes`.
enum MetricsServer {
    static func bind(
        _ endpoint: MetricsEndpoint, group: EventLoopGroup, scrape: @escaping @Sendable () -> [UInt8], logger: Logger
    ) async throws -> Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withErrorHandling: true).flatMap {
                    channel.pipeline.addHandler(MetricsHTTPHandler(scrape: scrape))
                }
            }
            .bind(host: endpoint.host, port: endpoint.port).get()
    }
}
