// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Participant registry interface
/// @notice Errors and events of the registry that anchors admissions, key rotations and revocations.
interface IParticipantRegistry {
    /// @notice An event with this id was recorded already; records are write-once.
    error ParticipantRegistryEventExists(bytes32 eventId);
    /// @notice A record must carry the hash of its content.
    error ParticipantRegistryEmptyRecord(bytes32 eventId);

    /// @notice A change to a participant was anchored.
    /// @param eventId the platform's id of the change (write-once)
    /// @param participantId keccak256 of the participant's id
    /// @param action keccak256 of the action ("admitted", "key-rotated", "revoked")
    /// @param keyHash keccak256 of the participant's Ed25519 public key after the change
    /// @param recordHash SHA-256 of the change's RFC 8785 canonical record
    event ParticipantEventRecorded(
        bytes32 indexed eventId,
        bytes32 indexed participantId,
        bytes32 action,
        bytes32 keyHash,
        bytes32 recordHash
    );
}
