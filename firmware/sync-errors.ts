/**
 * Error codes of the sync protocol: the one byte an error message carries (sync-messages.ts,
 * `FF ‖ code ‖ request opcode`). Whatever goes wrong on the link, the tag answers with one of these or
 * with nothing; it never throws and never changes its state for a refused message.
 */

/** A message body of the wrong length or with a field out of range. */
export var ERR_MALFORMED = 1;
/** An opcode the tag does not know. */
export var ERR_UNKNOWN_COMMAND = 2;
/** Fragments out of order, or a message cut short by the start of another: the message is dropped. */
export var ERR_FRAGMENT = 3;
/** A message longer than MAX_MESSAGE_BYTES: dropped. */
export var ERR_TOO_LONG = 4;
/** A sealed message whose MAC does not verify under the session key. */
export var ERR_BAD_MAC = 5;
/** A sealed message whose sequence number is not above the last one accepted. */
export var ERR_REPLAY = 6;
/** A command that needs an open session, or a handshake step out of order. */
export var ERR_NOT_AUTHENTICATED = 7;
/** A handshake proof that does not verify under the tag key. */
export var ERR_BAD_PROOF = 8;
/** Reading keys without the wearer's button press during the session. */
export var ERR_NO_CONSENT = 9;
/** A handshake with a tag that has no key yet. */
export var ERR_NOT_PROVISIONED = 10;
/** A plain provisioning message to a tag that already has a key. */
export var ERR_ALREADY_PROVISIONED = 11;
/** Provisioning without a button press on the tag within the confirmation window. */
export var ERR_NO_CONFIRMATION = 12;
/** A config change that applyConfig refuses. */
export var ERR_BAD_CONFIG = 13;
/** The tag could not save the change (flash full or failing). */
export var ERR_STORAGE = 14;
