@testable import CordonServer
import Hummingbird
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

/// `EvaluateFastPath` on an embedded channel: what it answers, what it passes on, the order of
/// responses on a connection, and graceful-shutdown events held while it reads a request.
@Suite struct EvaluateFastPathOrderTests {
    /// Records what reaches the router's side of the pipeline.
    final class Recorder: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPRequestPart
        var parts: [HTTPRequestPart] = []
        var events = 0
        func channelRead(context: ChannelHandlerContext, data: NIOAny) { parts.append(unwrapInboundIn(data)) }
        func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) { if event is ChannelShouldQuiesceEvent { events += 1 } }
    }

    struct Rig {
        let channel: EmbeddedChannel
        let recorder: Recorder
        let token: String

        init() throws {
            let h = try ServerHarness.make()
            _ = try h.services.tokens.token(secret: h.vehicle)  // as after the token's first request
            recorder = Recorder()
            channel = EmbeddedChannel(handlers: [EvaluateFastPath(services: h.services), recorder])
            token = h.vehicle
        }

        func head(_ path: String = "/v1/evaluate", method: HTTPRequest.Method = .post) -> HTTPRequestPart {
            var request = HTTPRequest(method: method, scheme: nil, authority: nil, path: path)
            request.headerFields[.authorization] = "Bearer \(token)"
            return .head(request)
        }

        func send(_ parts: [HTTPRequestPart]) throws { for p in parts { try channel.writeInbound(p) } }

        func request(second: Int, lat: Double = 38.5) -> [HTTPRequestPart] {
            [head(), .body(ByteBuffer(string: batchJSON([fixJSON("V5", second, lat: lat, lon: 116.005)]))), .end(nil)]
        }

        /// Response parts the handler wrote itself.
        func written() throws -> [HTTPResponsePart] {
            var out: [HTTPResponsePart] = []
            while let part = try channel.readOutbound(as: HTTPResponsePart.self) { out.append(part) }
            return out
        }
    }

    @Test func answersWhenIdleAndKeepsOrderBehindARoutedRequest() throws {
        let rig = try Rig()
        // Answered here: head, body, end written; nothing reaches the router.
        try rig.send(rig.request(second: 0))
        let first = try rig.written()
        #expect(first.count == 3)
        if case .head(let response) = first.first { #expect(response.status == .ok) } else { Issue.record("no head") }
        #expect(rig.recorder.parts.isEmpty)
        // A request for the router, not yet answered...
        try rig.send([rig.head("/healthz", method: .get), .end(nil)])
        #expect(rig.recorder.parts.count == 2)
        // ...so the next evaluate goes to the router too, behind it, untouched.
        try rig.send(rig.request(second: 1))
        #expect(rig.recorder.parts.count == 5)
        #expect(try rig.written().isEmpty)
        // The router answers both; then evaluates are answered here again.
        for _ in 0..<2 {
            try rig.channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok)))
            try rig.channel.writeOutbound(HTTPResponsePart.end(nil))
        }
        _ = try rig.written()
        try rig.send(rig.request(second: 2))
        #expect(try rig.written().count == 3)
        #expect(rig.recorder.parts.count == 5)
        // An invalid fix is the router's, passed on whole and unchanged.
        try rig.send(rig.request(second: 3, lat: 95))
        #expect(rig.recorder.parts.count == 8)
        if case .body(let body) = rig.recorder.parts[6] { #expect(String(buffer: body).contains("\"lat\":95")) }
        try rig.channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .unprocessableContent)))
        try rig.channel.writeOutbound(HTTPResponsePart.end(nil))
        _ = try rig.written()
        // A body in several chunks is put together here and answered.
        let text = batchJSON([fixJSON("V5", 4, lat: 38.6, lon: 116.005)])
        let cut = text.index(text.startIndex, offsetBy: text.count / 2)
        try rig.send([rig.head(), .body(ByteBuffer(string: String(text[..<cut]))), .body(ByteBuffer(string: String(text[cut...]))), .end(nil)])
        #expect(try rig.written().count == 3)
        #expect(rig.recorder.parts.count == 8)
        // A body past the fast path's size goes to the router, every byte of it, in order.
        let big = String(repeating: " ", count: EvaluateFastPath.maximumBody) + text
        let half = big.index(big.startIndex, offsetBy: EvaluateFastPath.maximumBody - 10)
        try rig.send([rig.head(), .body(ByteBuffer(string: String(big[..<half]))), .body(ByteBuffer(string: String(big[half...]))), .end(nil)])
        #expect(try rig.written().isEmpty)
        let passed = rig.recorder.parts[8...].compactMap { part -> String? in
            if case .body(let b) = part { return String(buffer: b) } else { return nil }
        }
        #expect(passed.joined() == big)
        #expect(rig.recorder.parts.count == 12)
    }

    @Test func shutdownWaitsForTheRequestBeingRead() throws {
        let rig = try Rig()
        // Answered here: the event is held until the response is written.
        let parts = rig.request(second: 0)
        try rig.send(Array(parts[..<2]))
        rig.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(rig.recorder.events == 0)
        try rig.send([parts[2]])
        #expect(try rig.written().count == 3)
        #expect(rig.recorder.events == 1)
        // Passed on: the event follows the request to the router.
        let invalid = rig.request(second: 1, lat: 95)
        try rig.send(Array(invalid[..<2]))
        rig.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(rig.recorder.events == 1)
        try rig.send([invalid[2]])
        #expect(rig.recorder.parts.count == 3)
        #expect(rig.recorder.events == 2)
        // Idle: passed on at once.
        rig.channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(rig.recorder.events == 3)
    }
}
