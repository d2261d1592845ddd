from odoo.tests import new_test_user


def insert_account(env, user, provider="test_provider", state="connected"):
    """An account row for a provider the base addon does not know.

    The base addon declares no provider value (each provider addon adds its own), so its
    tests write the row directly; everything they exercise is provider-agnostic.
    """
    env.cr.execute(
        """
        INSERT INTO calendar_sync_account
               (user_id, provider, state, active, send_updates, first_sync_done, queued_count,
                queue_existing, create_uid, write_uid, create_date, write_date)
        VALUES (%s, %s, %s, true, 'all', false, 0, true, 1, 1, now(), now())
        RETURNING id
        """,
        [user.id, provider, state],
    )
    return env["calendar.sync.account"].browse(env.cr.fetchone()[0])


def make_user(env, login, **kwargs):
    return new_test_user(
        env, login=login, groups="base.group_user", email=f"{login}@example.com", **kwargs
    )
