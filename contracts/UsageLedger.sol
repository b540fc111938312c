// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IUsageLedger} from "./interfaces/IUsageLedger.sol";

/// @title Usage ledger
/// @notice Anchors Merkle roots of batches of Sluice usage records, so that anyone holding a record
///         and its inclusion proof (OpenZeppelin merkle-tree format) can verify it was not altered.
/// @dev Only accounts with ANCHOR_ROLE write; the admin grants and revokes roles.
contract UsageLedger is AccessControl, IUsageLedger {
    bytes32 public constant ANCHOR_ROLE = keccak256("ANCHOR_ROLE");

    mapping(bytes32 batchId => Batch) private _batches;
    mapping(bytes32 root => bytes32 batchId) private _batchOfRoot;
    uint256 public batchCount;

    /// @param admin account that receives DEFAULT_ADMIN_ROLE and may grant ANCHOR_ROLE
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Anchors a batch of usage records: its Merkle root and every leaf hash, in leaf order.
    /// @dev The leaves travel in this transaction's calldata, where a regulator reads them back and
    ///      compares each stored record with its own copy; the contract keeps their keccak256 and
    ///      count, so a copy read from any transaction can be checked against storage.
    ///      Requirements: caller has ANCHOR_ROLE; batchId unused; root non-zero; at least one leaf;
    ///      periodStart <= periodEnd. Emits {BatchAnchored}.
    /// @param batchId unique id of the batch (write-once)
    /// @param root Merkle root of the records' leaves
    /// @param leaves each record's hash (SHA-256 of its RFC 8785 canonical JSON), in leaf order
    /// @param feeTotalFen total fees of the batch's records, in fen
    /// @param periodStart unix time of the earliest record
    /// @param periodEnd unix time of the latest record
    function anchorBatch(
        bytes32 batchId,
        bytes32 root,
        bytes32[] calldata leaves,
        uint128 feeTotalFen,
        uint64 periodStart,
        uint64 periodEnd
    ) external onlyRole(ANCHOR_ROLE) {
        if (_batches[batchId].root != bytes32(0)) revert UsageLedgerBatchExists(batchId);
        if (root == bytes32(0)) revert UsageLedgerEmptyRoot(batchId);
        if (leaves.length == 0) revert UsageLedgerEmptyBatch(batchId);
        if (periodStart > periodEnd) revert UsageLedgerInvalidPeriod(periodStart, periodEnd);
        bytes32 leavesHash = keccak256(abi.encodePacked(leaves));
        uint64 recordCount = uint64(leaves.length);
        _batches[batchId] = Batch(
            root,
            recordCount,
            feeTotalFen,
            periodStart,
            periodEnd,
            uint64(block.timestamp),
            leavesHash
        );
        _batchOfRoot[root] = batchId;
        batchCount += 1;
        emit BatchAnchored(batchId, root, recordCount, feeTotalFen, periodStart, periodEnd, leavesHash);
    }

    /// @notice Returns an anchored batch.
    /// @dev Reverts with {UsageLedgerUnknownBatch} when the id was never anchored.
    function getBatch(bytes32 batchId) external view returns (Batch memory) {
        Batch memory batch = _batches[batchId];
        if (batch.root == bytes32(0)) revert UsageLedgerUnknownBatch(batchId);
        return batch;
    }

    /// @notice Returns the id of the batch anchored with this root, or zero.
    function batchOfRoot(bytes32 root) external view returns (bytes32) {
        return _batchOfRoot[root];
    }
}
