"""An owner's own data: download everything the portal holds about them, delete the account, retention."""
