/// crypt(3)'s 64 characters, `./0-9A-Za-z` ("itoa64"): salts, phpass/Drupal's encoding and its
/// cost character, PBKDF2 salts.
enum CryptAlphabet {
    static let itoa64 = Array("./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
}
