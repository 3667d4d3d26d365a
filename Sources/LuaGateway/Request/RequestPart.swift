import NIOCore


/// What the request decoder hands the connection, in the order the bytes arrived.
enum RequestPart {
    /// A request's head, checked (SPEC 5), with what the server needs from it. Boxed: inline it
    /// made each part ~160 bytes, and a connection keeps a queue of 4 parts while idle.
    indirect case head(RequestHead, RequestHeadFacts)
    /// Bytes of the request's body, already de-chunked.
    case body(ByteBuffer)
    /// The end of the request's body (at once for a request without one).
    case end
    /// The bytes stopped making a request; nothing after them is decoded. `body` says what broke
    /// when it was the body of a request already handed on.
    case malformed(MalformedRequest, body: InputFailure?)
}
