"""Graded strength programs: exercises, templates and levels, assignments, session logs;
alerts can now be raised by a session log (and get the program alert kinds).

Revision ID: 0003
Revises: 0002

Reviewed by hand. Built-in exercises are not inserted here: `flask programs sync-library`
(run by `make run` through seed-demo, and in the deploy steps of the README) upserts them from
clinic/programs/library.py, so a new library version needs no new migration.
Create Date: 2026-11-24 23:50:00.595158

"""
import sqlalchemy as sa
from alembic import op

UTC_DATETIME = sa.DateTime(timezone=True)
OLD_ALERT_KINDS = ("risk_item", "risk_item_unanswered", "review_item", "reliable_deterioration",
                   "missed_questionnaires")
NEW_ALERT_KINDS = OLD_ALERT_KINDS + ("missed_sessions", "pain_reported", "high_rpe",
                                     "low_mood_skips")


def _kinds(kinds):
    return "kind IN ({})".format(", ".join(f"'{k}'" for k in kinds))


def _alter_alert(add, kinds):
    """Add or drop the session-log reference and swap the kind check, on both databases."""
    sqlite = op.get_bind().dialect.name == "sqlite"
    # SQLite cannot alter a CHECK in place: batch mode rebuilds the table with the new one.
    with op.batch_alter_table("alert", recreate="always" if sqlite else "auto") as batch_op:
        if not sqlite:
            batch_op.drop_constraint(op.f("ck_alert_kind"), type_="check")
        if add:
            batch_op.add_column(sa.Column("session_log_id", sa.Integer(), nullable=True))
            batch_op.create_unique_constraint(op.f("uq_alert_kind_session_log_id"),
                                              ["kind", "session_log_id"])
            batch_op.create_foreign_key(op.f("fk_alert_session_log_id_session_log"),
                                        "session_log", ["session_log_id"], ["id"])
        else:
            batch_op.drop_constraint(op.f("fk_alert_session_log_id_session_log"),
                                     type_="foreignkey")
            batch_op.drop_constraint(op.f("uq_alert_kind_session_log_id"), type_="unique")
            batch_op.drop_column("session_log_id")
        batch_op.create_check_constraint("kind", _kinds(kinds))


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('exercise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=True),
    sa.Column('slug', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('pattern', sa.String(length=24), nullable=False),
    sa.Column('setting', sa.String(length=16), nullable=False),
    sa.Column('equipment', sa.String(length=80), nullable=False),
    sa.Column('measure', sa.String(length=16), nullable=False),
    sa.Column('ladder', sa.String(length=32), nullable=False),
    sa.Column('ladder_step', sa.Integer(), nullable=False),
    sa.Column('cues', sa.JSON(), nullable=False),
    sa.Column('easier_tip', sa.Text(), nullable=True),
    sa.Column('retired_at', UTC_DATETIME, nullable=True),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.CheckConstraint("measure IN ('load_reps', 'bodyweight_reps', 'hold_seconds')", name=op.f('ck_exercise_measure')),
    sa.CheckConstraint("pattern IN ('squat', 'hinge', 'push_horizontal', 'push_vertical', 'pull_horizontal', 'pull_vertical', 'carry', 'core')", name=op.f('ck_exercise_pattern')),
    sa.CheckConstraint("setting IN ('home', 'bands', 'dumbbells', 'gym')", name=op.f('ck_exercise_setting')),
    sa.CheckConstraint('ladder_step >= 1', name=op.f('ck_exercise_ladder_step')),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_exercise_clinic_id_clinic')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_exercise')),
    sa.UniqueConstraint('clinic_id', 'slug', name=op.f('uq_exercise_clinic_id_slug'))
    )
    with op.batch_alter_table('exercise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_exercise_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('program_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clinic_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('archived_at', UTC_DATETIME, nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('updated_at', UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(['clinic_id'], ['clinic.id'], name=op.f('fk_program_template_clinic_id_clinic')),
    sa.ForeignKeyConstraint(['created_by_id'], ['user.id'], name=op.f('fk_program_template_created_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_template')),
    sa.UniqueConstraint('clinic_id', 'name', name=op.f('uq_program_template_clinic_id_name'))
    )
    with op.batch_alter_table('program_template', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_template_clinic_id'), ['clinic_id'], unique=False)

    op.create_table('assignment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=True),
    sa.Column('template_version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('snapshot', sa.JSON(), nullable=False),
    sa.Column('level_position', sa.Integer(), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('token_salt', sa.String(length=32), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('link_revoked_at', UTC_DATETIME, nullable=True),
    sa.CheckConstraint("status IN ('active', 'paused', 'completed')", name=op.f('ck_assignment_status')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['user.id'], name=op.f('fk_assignment_assigned_by_id_user')),
    sa.ForeignKeyConstraint(['patient_id'], ['patient.id'], name=op.f('fk_assignment_patient_id_patient')),
    sa.ForeignKeyConstraint(['template_id'], ['program_template.id'], name=op.f('fk_assignment_template_id_program_template')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_assignment_token_hash'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_patient_id'), ['patient_id'], unique=False)

    op.create_table('template_level',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('template_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('min_weeks', sa.Integer(), nullable=False),
    sa.Column('sessions_per_week', sa.Integer(), nullable=False),
    sa.Column('criteria', sa.Text(), nullable=False),
    sa.CheckConstraint('min_weeks BETWEEN 0 AND 52', name=op.f('ck_template_level_min_weeks')),
    sa.CheckConstraint('sessions_per_week BETWEEN 1 AND 7', name=op.f('ck_template_level_sessions_per_week')),
    sa.ForeignKeyConstraint(['template_id'], ['program_template.id'], name=op.f('fk_template_level_template_id_program_template'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_template_level')),
    sa.UniqueConstraint('template_id', 'position', name=op.f('uq_template_level_template_id_position'))
    )
    with op.batch_alter_table('template_level', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_template_level_template_id'), ['template_id'], unique=False)

    op.create_table('assignment_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('by_id', sa.Integer(), nullable=True),
    sa.Column('at', UTC_DATETIME, nullable=False),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_assignment_event_assignment_id_assignment')),
    sa.ForeignKeyConstraint(['by_id'], ['user.id'], name=op.f('fk_assignment_event_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_event'))
    )
    with op.batch_alter_table('assignment_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_assignment_event_assignment_id'), ['assignment_id'], unique=False)

    op.create_table('level_exercise',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('level_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=False),
    sa.Column('sets', sa.Integer(), nullable=False),
    sa.Column('reps_min', sa.Integer(), nullable=False),
    sa.Column('reps_max', sa.Integer(), nullable=False),
    sa.Column('load_kind', sa.String(length=16), nullable=False),
    sa.Column('load_target', sa.String(length=32), nullable=False),
    sa.Column('rest_seconds', sa.Integer(), nullable=False),
    sa.Column('is_key', sa.Boolean(), nullable=False),
    sa.CheckConstraint("load_kind IN ('bodyweight', 'kg', 'rpe', 'band')", name=op.f('ck_level_exercise_load_kind')),
    sa.CheckConstraint('reps_min >= 1 AND reps_min <= reps_max', name=op.f('ck_level_exercise_reps')),
    sa.CheckConstraint('rest_seconds BETWEEN 0 AND 600', name=op.f('ck_level_exercise_rest_seconds')),
    sa.CheckConstraint('sets BETWEEN 1 AND 10', name=op.f('ck_level_exercise_sets')),
    sa.ForeignKeyConstraint(['exercise_id'], ['exercise.id'], name=op.f('fk_level_exercise_exercise_id_exercise')),
    sa.ForeignKeyConstraint(['level_id'], ['template_level.id'], name=op.f('fk_level_exercise_level_id_template_level'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_level_exercise'))
    )
    with op.batch_alter_table('level_exercise', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_level_exercise_level_id'), ['level_id'], unique=False)

    op.create_table('session_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('level_position', sa.Integer(), nullable=False),
    sa.Column('performed_on', sa.Date(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('low_energy', sa.Boolean(), nullable=False),
    sa.Column('skip_reason', sa.String(length=32), nullable=True),
    sa.Column('duration_minutes', sa.Integer(), nullable=True),
    sa.Column('rpe', sa.Integer(), nullable=True),
    sa.Column('mood_before', sa.Integer(), nullable=True),
    sa.Column('mood_after', sa.Integer(), nullable=True),
    sa.Column('pain', sa.Integer(), nullable=True),
    sa.Column('pain_where', sa.String(length=120), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=True),
    sa.Column('submission_key', sa.String(length=64), nullable=False),
    sa.Column('created_at', UTC_DATETIME, nullable=False),
    sa.Column('updated_at', UTC_DATETIME, nullable=True),
    sa.CheckConstraint("source IN ('patient', 'clinician')", name=op.f('ck_session_log_source')),
    sa.CheckConstraint("status IN ('done', 'partial', 'skipped')", name=op.f('ck_session_log_status')),
    sa.CheckConstraint('duration_minutes IS NULL OR duration_minutes BETWEEN 1 AND 600', name=op.f('ck_session_log_duration')),
    sa.CheckConstraint('mood_after IS NULL OR mood_after BETWEEN 0 AND 10', name=op.f('ck_session_log_mood_after')),
    sa.CheckConstraint('mood_before IS NULL OR mood_before BETWEEN 0 AND 10', name=op.f('ck_session_log_mood_before')),
    sa.CheckConstraint('pain IS NULL OR pain BETWEEN 0 AND 10', name=op.f('ck_session_log_pain')),
    sa.CheckConstraint('rpe IS NULL OR rpe BETWEEN 0 AND 10', name=op.f('ck_session_log_rpe')),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_session_log_assignment_id_assignment')),
    sa.ForeignKeyConstraint(['entered_by_id'], ['user.id'], name=op.f('fk_session_log_entered_by_id_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_log')),
    sa.UniqueConstraint('assignment_id', 'submission_key', name=op.f('uq_session_log_assignment_id_submission_key'))
    )
    with op.batch_alter_table('session_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_session_log_assignment_id'), ['assignment_id'], unique=False)
        batch_op.create_index('ix_session_log_assignment_performed', ['assignment_id', 'performed_on'], unique=False)

    op.create_table('set_log',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('exercise_id', sa.Integer(), nullable=False),
    sa.Column('set_number', sa.Integer(), nullable=False),
    sa.Column('reps', sa.Integer(), nullable=True),
    sa.Column('load_kg', sa.Numeric(precision=6, scale=2), nullable=True),
    sa.Column('seconds', sa.Integer(), nullable=True),
    sa.Column('target_sets', sa.Integer(), nullable=False),
    sa.Column('target_reps_min', sa.Integer(), nullable=False),
    sa.Column('target_reps_max', sa.Integer(), nullable=False),
    sa.Column('target_load', sa.String(length=32), nullable=False),
    sa.CheckConstraint('load_kg IS NULL OR (load_kg >= 0 AND load_kg <= 500)', name=op.f('ck_set_log_load')),
    sa.CheckConstraint('reps IS NULL OR reps BETWEEN 0 AND 200', name=op.f('ck_set_log_reps')),
    sa.CheckConstraint('seconds IS NULL OR seconds BETWEEN 0 AND 3600', name=op.f('ck_set_log_seconds')),
    sa.ForeignKeyConstraint(['exercise_id'], ['exercise.id'], name=op.f('fk_set_log_exercise_id_exercise')),
    sa.ForeignKeyConstraint(['session_id'], ['session_log.id'], name=op.f('fk_set_log_session_id_session_log'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_set_log'))
    )
    with op.batch_alter_table('set_log', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_set_log_exercise_id'), ['exercise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_set_log_session_id'), ['session_id'], unique=False)

    op.create_index("uq_assignment_one_current", "assignment", ["patient_id"], unique=True,
                    sqlite_where=sa.text("status <> 'completed'"),
                    postgresql_where=sa.text("status <> 'completed'"))
    _alter_alert(add=True, kinds=NEW_ALERT_KINDS)



def downgrade():
    _alter_alert(add=False, kinds=OLD_ALERT_KINDS)
    # Children first; dropping a table drops its indexes.
    for table in ("set_log", "session_log", "level_exercise", "assignment_event",
                  "template_level", "assignment", "program_template", "exercise"):
        op.drop_table(table)
