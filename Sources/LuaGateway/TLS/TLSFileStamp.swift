#if canImport(Glibc)
import Glibc
#endif

/// What a look at the certificate and key files sees (device, inode, size and times of what
/// each path leads to, symbolic links followed: certbot's `live/NAME/*.pem` point to new files
/// at each renewal), compared to tell that they changed.
struct TLSFileStamp: Equatable {
    private let parts: [Int]

    init(_ files: TLSFiles) {
        parts = [files.certificate, files.key].flatMap { path -> [Int] in
            var info = stat()
            guard stat(path, &info) == 0 else { return [-1] }
            return [Int(info.st_dev), Int(info.st_ino), Int(info.st_size), Int(info.st_mtim.tv_sec),
                    Int(info.st_mtim.tv_nsec), Int(info.st_ctim.tv_sec), Int(info.st_ctim.tv_nsec)]
        }
    }
}
