import CSecp256k1

/// The process-wide libsecp256k1 context: created once and randomized (side-channel blinding for signing).
/// After creation libsecp256k1 only reads it, so sharing it between threads is safe.
final class Secp256k1Context: @unchecked Sendable {
    static let shared = Secp256k1Context()

    let pointer: OpaquePointer

    private init() {
        // SECP256K1_CONTEXT_NONE: since libsecp256k1 0.2 every context can both sign and verify.
        guard let context = secp256k1_context_create(UInt32(SECP256K1_CONTEXT_NONE)) else {
            // Creating a context only allocates memory; failure means the process is out of memory.
            preconditionFailure("secp256k1_context_create failed")
        }
        var seed = [UInt8](repeating: 0, count: 32)
        var rng = SystemRandomNumberGenerator()
        for i in seed.indices { seed[i] = rng.next() }
        // Randomization only hardens signing against side channels; a failure leaves a working context.
        _ = secp256k1_context_randomize(context, seed)
        pointer = context
    }

    deinit { secp256k1_context_destroy(pointer) }
}
