"""``git`` in the corral shell, on dulwich (pure-Python git): see :mod:`.main`."""
