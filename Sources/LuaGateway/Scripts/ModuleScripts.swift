import Logging

/// Scripts of a served directory that return no application: modules (an existing
/// application's helpers, an Orbit model), not mounted; a request for their URL is routed as
/// if the file were not there. Said once per generation: at info level for a module that
/// returns a value (a table: a module by design), as a warning for one that returns nothing
/// (a page that forgot its `return` looks the same).
enum ModuleScripts {
    static func report(_ mount: Mount, returned: String, to logger: Logger) {
        let url = mount.path.isEmpty ? "/" : mount.path
        if returned == "nothing" {
            logger.warning("""
                \(mount.file) returned nothing: it is a module, not mounted at \(url). If it is a page, end it with \
                `return app` (a function(environ, start_response)); a helper can also be named _\(fileName(mount.file))
                """)
        } else {
            logger.info("\(mount.file) returned \(returned), not an application: it is a module, not mounted at \(url)")
        }
    }

    private static func fileName(_ file: String) -> Substring {
        file.split(separator: "/").last ?? Substring(file)
    }
}
