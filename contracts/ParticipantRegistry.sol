// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IParticipantRegistry} from "./interfaces/IParticipantRegistry.sol";

/// @title Participant registry
/// @notice Anchors every admission, key rotation and revocation of a Sluice participant, so that a
///         regulator can prove who held which key when.
/// @dev Only accounts with REGISTRAR_ROLE write; the admin grants and revokes roles.
contract ParticipantRegistry is AccessControl, IParticipantRegistry {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    mapping(bytes32 eventId => bytes32 recordHash) private _records;

    /// @param admin account that receives DEFAULT_ADMIN_ROLE and may grant REGISTRAR_ROLE
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Records a change to a participant.
    /// @dev Requirements: caller has REGISTRAR_ROLE; eventId unused; recordHash non-zero.
    ///      Emits {ParticipantEventRecorded}.
    function recordEvent(
        bytes32 eventId,
        bytes32 participantId,
        bytes32 action,
        bytes32 keyHash,
        bytes32 recordHash
    ) external onlyRole(REGISTRAR_ROLE) {
        if (_records[eventId] != bytes32(0)) revert ParticipantRegistryEventExists(eventId);
        if (recordHash == bytes32(0)) revert ParticipantRegistryEmptyRecord(eventId);
        _records[eventId] = recordHash;
        emit ParticipantEventRecorded(eventId, participantId, action, keyHash, recordHash);
    }

    /// @notice The record hash anchored for an event id, or zero when none was.
    function recordOf(bytes32 eventId) external view returns (bytes32) {
        return _records[eventId];
    }
}
