/// The version of the package, in one place: `pam-mysql --version` prints it and
/// packaging/build-deb.sh reads this line for the .deb's version (with a Debian revision).
enum PackageVersion {
    static let current = "0.9.0"
}
