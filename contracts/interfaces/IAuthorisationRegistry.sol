// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Authorisation registry interface
/// @notice Types, errors and events of the registry of the three tiers of authorisation: dataset
///         registrations, grants, scenarios, and each owner's approval of a scenario.
interface IAuthorisationRegistry {
    /// @notice What a recorded event is about.
    enum SubjectKind {
        Dataset,
        Grant,
        Scenario,
        Approval,
        AutoApprovalRule
    }

    /// @notice A subject's latest anchored state.
    /// @param state keccak256 of the subject's state after its latest event ("approved", "suspended", ...)
    /// @param contentHash SHA-256 of the subject's content (terms, schema) as last registered
    /// @param lastEventId the latest event recorded for the subject
    /// @param updatedAt block time of the latest event
    /// @param eventCount events recorded for the subject
    struct SubjectState {
        bytes32 state;
        bytes32 contentHash;
        bytes32 lastEventId;
        uint64 updatedAt;
        uint32 eventCount;
    }

    /// @notice An event with this id was recorded already; records are write-once.
    error AuthorisationRegistryEventExists(bytes32 eventId);
    /// @notice A record must carry the hash of its canonical content.
    error AuthorisationRegistryEmptyRecord(bytes32 eventId);
    /// @notice A record must name its subject and the state it leaves the subject in.
    error AuthorisationRegistryEmptySubject(bytes32 eventId);
    /// @notice A subject's first event must register its content.
    error AuthorisationRegistryUnregisteredSubject(bytes32 eventId, bytes32 subjectId);

    /// @notice A change to an authorisation was anchored.
    /// @param eventId the platform's id of the change (write-once)
    /// @param kind what the change is about
    /// @param subjectId keccak256 of the subject's id (for an approval: of "scenarioId/ownerId")
    /// @param state keccak256 of the subject's state after the change
    /// @param contentHash SHA-256 of the subject's content after the change (zero: unchanged)
    /// @param recordHash SHA-256 of the change's RFC 8785 canonical record
    event AuthorisationEventRecorded(
        bytes32 indexed eventId,
        SubjectKind indexed kind,
        bytes32 indexed subjectId,
        bytes32 state,
        bytes32 contentHash,
        bytes32 recordHash
    );
}
