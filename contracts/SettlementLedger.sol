// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ISettlementLedger} from "./interfaces/ISettlementLedger.sol";

/// @title Settlement ledger
/// @notice Anchors each period's revenue-sharing statement: the Merkle root of its (payee, amount)
///         lines in OpenZeppelin merkle-tree format, and the hash of the usage records it covers, so
///         that each owner can verify its line and a regulator can recompute the whole statement.
/// @dev Only accounts with SETTLE_ROLE write; the admin grants and revokes roles.
contract SettlementLedger is AccessControl, ISettlementLedger {
    bytes32 public constant SETTLE_ROLE = keccak256("SETTLE_ROLE");

    mapping(bytes32 statementId => Statement) private _statements;
    uint256 public statementCount;

    /// @param admin account that receives DEFAULT_ADMIN_ROLE and may grant SETTLE_ROLE
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @notice Anchors a period's settlement statement.
    /// @dev Requirements: caller has SETTLE_ROLE; statementId unused; root non-zero; recordCount > 0;
    ///      periodStart <= periodEnd. Emits {StatementAnchored}.
    /// @param statementId unique id of the statement (write-once)
    /// @param root Merkle root of the statement's (payeeId, amountFen) lines
    /// @param recordsHash SHA-256 of the canonical list of the usage record ids it covers
    /// @param periodStart unix time the period starts
    /// @param periodEnd unix time the period ends
    /// @param recordCount number of usage records settled
    /// @param feeTotalFen total fees settled, in fen
    function anchorStatement(
        bytes32 statementId,
        bytes32 root,
        bytes32 recordsHash,
        uint64 periodStart,
        uint64 periodEnd,
        uint64 recordCount,
        uint128 feeTotalFen
    ) external onlyRole(SETTLE_ROLE) {
        if (_statements[statementId].root != bytes32(0)) revert SettlementStatementExists(statementId);
        if (root == bytes32(0)) revert SettlementEmptyRoot(statementId);
        if (recordCount == 0) revert SettlementEmptyStatement(statementId);
        if (periodStart > periodEnd) revert SettlementInvalidPeriod(periodStart, periodEnd);
        _statements[statementId] = Statement(
            root,
            recordsHash,
            periodStart,
            periodEnd,
            recordCount,
            feeTotalFen,
            uint64(block.timestamp)
        );
        statementCount += 1;
        emit StatementAnchored(statementId, root, recordsHash, periodStart, periodEnd, recordCount, feeTotalFen);
    }

    /// @notice Returns an anchored statement.
    /// @dev Reverts with {SettlementUnknownStatement} when the id was never anchored.
    function getStatement(bytes32 statementId) external view returns (Statement memory) {
        Statement memory statement = _statements[statementId];
        if (statement.root == bytes32(0)) revert SettlementUnknownStatement(statementId);
        return statement;
    }
}
