// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Settlement ledger interface
/// @notice Errors and events of the Sluice settlement ledger: revenue-sharing statements per period.
interface ISettlementLedger {
    /// @notice An anchored settlement statement.
    struct Statement {
        bytes32 root;
        bytes32 recordsHash;
        uint64 periodStart;
        uint64 periodEnd;
        uint64 recordCount;
        uint128 feeTotalFen;
        uint64 anchoredAt;
    }

    /// @notice A statement with this id was anchored already; statements are write-once.
    error SettlementStatementExists(bytes32 statementId);
    /// @notice A statement must carry a non-zero Merkle root of its lines.
    error SettlementEmptyRoot(bytes32 statementId);
    /// @notice A statement must cover at least one usage record.
    error SettlementEmptyStatement(bytes32 statementId);
    /// @notice The period ends before it starts.
    error SettlementInvalidPeriod(uint64 periodStart, uint64 periodEnd);
    /// @notice No statement with this id was anchored.
    error SettlementUnknownStatement(bytes32 statementId);

    /// @notice A settlement statement was anchored.
    event StatementAnchored(
        bytes32 indexed statementId,
        bytes32 indexed root,
        bytes32 recordsHash,
        uint64 periodStart,
        uint64 periodEnd,
        uint64 recordCount,
        uint128 feeTotalFen
    );
}
