package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/gatehouse-dev/gatehouse"
)

const invitationColumns = `id, account_id, email, role, token_hash, invited_by, created_at, expires_at, accepted_at`

// CreateInvitation stores a new invitation and sets its ID.
func (s *Store) CreateInvitation(ctx context.Context, inv *gatehouse.Invitation) error {
	if err := inv.Validate(); err != nil {
		return err
	}
	if inv.CreatedAt.IsZero() {
		inv.CreatedAt = s.stamp(inv.CreatedAt)
	}
	err := s.pool().queryRow(ctx, `INSERT INTO invitations
		(account_id, email, role, token_hash, invited_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		inv.AccountID, inv.Email, inv.Role, inv.TokenHash[:], inv.InvitedBy, micros(inv.CreatedAt), micros(inv.ExpiresAt)).Scan(&inv.ID)
	if err != nil {
		return fmt.Errorf("create invitation: %w", dbError(err, "an invitation with this token exists",
			fmt.Sprintf("account %d not found", inv.AccountID)))
	}
	return nil
}

func scanInvitation(row scanner) (*gatehouse.Invitation, error) {
	var inv gatehouse.Invitation
	var hash []byte
	var created, expires int64
	var accepted sql.NullInt64
	if err := row.Scan(&inv.ID, &inv.AccountID, &inv.Email, &inv.Role, &hash, &inv.InvitedBy, &created, &expires, &accepted); err != nil {
		return nil, err
	}
	if len(hash) != len(inv.TokenHash) {
		return nil, fmt.Errorf("invitation %d: token hash of %d bytes", inv.ID, len(hash))
	}
	copy(inv.TokenHash[:], hash)
	inv.CreatedAt, inv.ExpiresAt = fromMicros(created), fromMicros(expires)
	if accepted.Valid {
		inv.AcceptedAt = fromMicros(accepted.Int64)
	}
	return &inv, nil
}

// Invitation returns the invitation with the given id.
func (s *Store) Invitation(ctx context.Context, id int64) (*gatehouse.Invitation, error) {
	inv, err := scanInvitation(s.pool().queryRow(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE id = ?`, id))
	if err != nil {
		return nil, fmt.Errorf("load invitation %d: %w", id, notFound(err, "invitation %d not found", id))
	}
	return inv, nil
}

// InvitationByToken returns the invitation whose token hashes to tokenHash.
func (s *Store) InvitationByToken(ctx context.Context, tokenHash [32]byte) (*gatehouse.Invitation, error) {
	inv, err := scanInvitation(s.pool().queryRow(ctx, `SELECT `+invitationColumns+` FROM invitations WHERE token_hash = ?`, tokenHash[:]))
	if err != nil {
		return nil, fmt.Errorf("load invitation: %w", notFound(err, "invitation not found"))
	}
	return inv, nil
}

// Invitations returns the account's invitations not yet accepted, oldest
// first.
func (s *Store) Invitations(ctx context.Context, accountID int64) ([]*gatehouse.Invitation, error) {
	rows, err := s.pool().query(ctx, `SELECT `+invitationColumns+` FROM invitations
		WHERE account_id = ? AND accepted_at IS NULL ORDER BY id LIMIT ?`, accountID, maxLimit)
	if err != nil {
		return nil, fmt.Errorf("list invitations: %w", dbError(err, "", ""))
	}
	defer rows.Close()
	list := []*gatehouse.Invitation{}
	for rows.Next() {
		inv, err := scanInvitation(rows)
		if err != nil {
			return nil, fmt.Errorf("list invitations: %w", dbError(err, "", ""))
		}
		list = append(list, inv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list invitations: %w", dbError(err, "", ""))
	}
	return list, nil
}

// MarkInvitationAccepted records the acceptance, once.
func (s *Store) MarkInvitationAccepted(ctx context.Context, id int64, at time.Time) error {
	res, err := s.pool().exec(ctx, `UPDATE invitations SET accepted_at = ? WHERE id = ? AND accepted_at IS NULL`,
		micros(s.stamp(at)), id)
	if err := mustAffect(res, err, "invitation %d not found", id); err != nil {
		if gatehouse.ErrorCode(err) == gatehouse.ENOTFOUND {
			if _, lerr := s.Invitation(ctx, id); lerr == nil {
				return gatehouse.Errorf(gatehouse.ECONFLICT, "invitation %d was already accepted", id)
			}
		}
		return fmt.Errorf("accept invitation %d: %w", id, err)
	}
	return nil
}

// DeleteInvitation removes an invitation.
func (s *Store) DeleteInvitation(ctx context.Context, id int64) error {
	res, err := s.pool().exec(ctx, `DELETE FROM invitations WHERE id = ?`, id)
	if err := mustAffect(res, err, "invitation %d not found", id); err != nil {
		return fmt.Errorf("delete invitation %d: %w", id, err)
	}
	return nil
}
