"""The signed-in home: a user's practices and the profiles they may edit, with what each needs."""
