#if canImport(Glibc)
import Glibc
#endif

/// Which request paths name a file of `DIR/public/` (SPEC 8): a regular file there, or a folder
/// with an `index.html` (`/` for `public/index.html`, `/docs/` for `public/docs/index.html`, as
/// luagw.web.static serves a folder), at a path with no segment that starts with "." (no `..`,
/// no dotfiles) and no NUL byte, that stays inside the folder once symbolic links are followed.
/// luagw.web.static then serves it.
enum PublicFiles {
    /// `directory` is a real path (no symbolic link in it).
    static func names(_ path: [UInt8], aFileIn directory: String) -> Bool {
        guard path.first == UInt8(ascii: "/"), !path.contains(0) else { return false }
        for i in path.indices.dropLast() where path[i] == UInt8(ascii: "/") && path[i + 1] == UInt8(ascii: ".") {
            return false
        }
        return (directory.utf8 + path + [0]).withUnsafeBufferPointer { bytes in
            bytes.withMemoryRebound(to: CChar.self) { name in
                var info = stat()
                guard stat(name.baseAddress!, &info) == 0 else { return false }
                guard let resolved = realpath(name.baseAddress!, nil) else { return false }
                defer { free(resolved) }
                let real = String(cString: resolved)
                switch info.st_mode & S_IFMT {
                case S_IFREG: return real.hasPrefix(directory + "/")
                case S_IFDIR: return (real == directory || real.hasPrefix(directory + "/")) && hasIndex(real)
                default: return false
                }
            }
        }
    }

    /// Whether the folder (a real path) holds an `index.html` file (luagw.web.static's index).
    private static func hasIndex(_ folder: String) -> Bool {
        var info = stat()
        return stat(folder + "/index.html", &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The real path of `directory`, if it is a directory.
    static func folder(_ directory: String) -> String? {
        guard let resolved = realpath(directory, nil) else { return nil }
        defer { free(resolved) }
        var info = stat()
        let path = String(cString: resolved)
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { return nil }
        return path
    }
}
