"""Sign-in with GitHub (OAuth), limited to configured organizations and teams."""
