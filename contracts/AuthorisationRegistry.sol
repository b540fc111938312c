// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAuthorisationRegistry} from "./interfaces/IAuthorisationRegistry.sol";

/// @title Authorisation registry
/// @notice Anchors every change to a dataset registration, grant, scenario or owner's approval, and
///         keeps each subject's latest state and content hash, so that a regulator can prove which
///         terms were in force, and who had agreed to them, when a record was metered.
/// @dev Only accounts with REGISTRAR_ROLE write; the admin grants and revokes roles.
contract AuthorisationRegistry is AccessControl, IAuthorisationRegistry {
    bytes32 public constant REGISTRAR_ROLE = keccak256("REGISTRAR_ROLE");

    mapping(bytes32 eventId => bytes32 recordHash) private _records;
    mapping(bytes32 subjectKey => SubjectState) private _subjects;

    /// @param admin account that receives DEFAULT_ADMIN_ROLE and may grant REGISTRAR_ROLE
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Records a change to an authorisation and moves its subject to `state`.
    /// @dev Requirements: caller has REGISTRAR_ROLE; eventId unused; recordHash, subjectId and state
    ///      non-zero; a subject's first event carries a content hash. A zero contentHash keeps the
    ///      subject's content. Emits {AuthorisationEventRecorded}.
    function recordEvent(
        bytes32 eventId,
        SubjectKind kind,
        bytes32 subjectId,
        bytes32 state,
        bytes32 contentHash,
        bytes32 recordHash
    ) external onlyRole(REGISTRAR_ROLE) {
        if (_records[eventId] != bytes32(0)) revert AuthorisationRegistryEventExists(eventId);
        if (recordHash == bytes32(0)) revert AuthorisationRegistryEmptyRecord(eventId);
        if (subjectId == bytes32(0) || state == bytes32(0)) revert AuthorisationRegistryEmptySubject(eventId);
        SubjectState storage subject = _subjects[_subjectKey(kind, subjectId)];
        if (subject.eventCount == 0 && contentHash == bytes32(0)) {
            revert AuthorisationRegistryUnregisteredSubject(eventId, subjectId);
        }
        _records[eventId] = recordHash;
        subject.state = state;
        if (contentHash != bytes32(0)) subject.contentHash = contentHash;
        subject.lastEventId = eventId;
        subject.updatedAt = uint64(block.timestamp);
        subject.eventCount += 1;
        emit AuthorisationEventRecorded(eventId, kind, subjectId, state, contentHash, recordHash);
    }

    /// @notice The record hash anchored for an event id, or zero when none was.
    function recordOf(bytes32 eventId) external view returns (bytes32) {
        return _records[eventId];
    }

    /// @notice A subject's latest anchored state (all zero when nothing was recorded for it).
    function subjectOf(SubjectKind kind, bytes32 subjectId) external view returns (SubjectState memory) {
        return _subjects[_subjectKey(kind, subjectId)];
    }

    function _subjectKey(SubjectKind kind, bytes32 subjectId) private pure returns (bytes32) {
        return keccak256(abi.encode(kind, subjectId));
    }
}
