import NIOCore

/// A request's head as the decoder checked it. The request line's parts are ASCII (checked);
/// header fields stay bytes in the head's own buffer, since a field value may hold any byte
/// past 0x7F and Lua strings are bytes.
struct RequestHead {
    /// A header field line: ranges of its name and its value (without surrounding whitespace),
    /// and what it is to environ, found by the one scan of the head (`FieldScan`).
    struct Field {
        let name: Range<Int>
        let value: Range<Int>
        var role: Role

        /// What a field is to environ (SPEC 2).
        enum Role {
            /// `HTTP_NAME`; repeats joined with ", ".
            case header
            /// `HTTP_X_FORWARDED_FOR`, and `REMOTE_ADDR` when a trusted proxy sent it.
            case forwardedFor
            /// `HTTP_X_FORWARDED_PROTO`, and `wsgi.url_scheme` when a trusted proxy sent it.
            case forwardedProto
            /// `HTTP_COOKIE`; repeats joined with "; " (RFC 9110 §5.3 does not apply to Cookie).
            case cookie
            /// `CONTENT_TYPE`, not `HTTP_CONTENT_TYPE`.
            case contentType
            /// `CONTENT_LENGTH`, not `HTTP_CONTENT_LENGTH`.
            case contentLength
            /// Kept from the application: a name with `_` could pose as another's `HTTP_` key.
            case hidden
        }
    }

    /// The method, a token (RFC 9110 §9.1): any, not only the registered ones.
    var method: String
    /// The request target as received, without a fragment.
    var uri: String
    var isHTTP11: Bool
    /// Whether the connection may serve another request after this one (version and `Connection`).
    var keepAlive: Bool
    /// An HTTP/2 stream's request (SPEC 11), made a head by `HTTP2RequestHead`.
    var isHTTP2 = false
    /// The head's bytes, which `fields` and `authority` index.
    var bytes: ByteBuffer
    var fields: [Field]
    /// The authority the request names: an absolute-form target's, else the Host field's (RFC 9112 §3.2.2).
    var authority: Range<Int>?
    /// Where the path starts in `uri` (after an absolute-form target's scheme and authority).
    var pathStart = 0

    var isHead: Bool { method == "HEAD" }

    /// The bytes of `range` of the head.
    func view(_ range: Range<Int>) -> ByteBufferView {
        let all = bytes.readableBytesView
        return all[(all.startIndex + range.lowerBound)..<(all.startIndex + range.upperBound)]
    }

    /// The head of an answer to bytes that never made a request.
    static let none = RequestHead(method: "GET", uri: "/", isHTTP11: true, keepAlive: false, bytes: ByteBuffer(),
                                  fields: [], authority: nil)
}
