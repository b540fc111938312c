// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title Usage ledger interface
/// @notice Errors and events of the Sluice usage ledger: Merkle roots of batches of usage records.
interface IUsageLedger {
    /// @notice An anchored batch of usage records.
    struct Batch {
        bytes32 root;
        uint64 recordCount;
        uint128 feeTotalFen;
        uint64 periodStart;
        uint64 periodEnd;
        uint64 anchoredAt;
        /// keccak256 of the leaves as packed bytes32, in leaf order
        bytes32 leavesHash;
    }

    /// @notice A batch with this id was anchored already; batches are write-once.
    error UsageLedgerBatchExists(bytes32 batchId);
    /// @notice A batch must carry a non-zero Merkle root.
    error UsageLedgerEmptyRoot(bytes32 batchId);
    /// @notice A batch must contain at least one record.
    error UsageLedgerEmptyBatch(bytes32 batchId);
    /// @notice The period ends before it starts.
    error UsageLedgerInvalidPeriod(uint64 periodStart, uint64 periodEnd);
    /// @notice No batch with this id was anchored.
    error UsageLedgerUnknownBatch(bytes32 batchId);

    /// @notice A batch of usage records was anchored; its leaves are in the transaction's calldata.
    event BatchAnchored(
        bytes32 indexed batchId,
        bytes32 indexed root,
        uint64 recordCount,
        uint128 feeTotalFen,
        uint64 periodStart,
        uint64 periodEnd,
        bytes32 leavesHash
    );
}
