"""``git --help`` (kept apart so registering ``git`` imports no dulwich)."""

USAGE = """usage: git [-C <path>] [-c <name>=<value>] [--version] <command> [<args>]

These are the git commands corral's shell knows (on dulwich, pure-Python git):

   init       Create an empty Git repository or reinitialize an existing one
   clone      Clone a repository (http/https, only hosts the policy allows)
   config     Get and set repository or global options
   add        Add file contents to the index
   rm         Remove files from the working tree and from the index
   commit     Record changes to the repository
   status     Show the working tree status
   diff       Show changes between commits, commit and working tree, etc
   log        Show commit logs
   show       Show various types of objects
   branch     List, create, or delete branches
   checkout   Switch branches or restore working tree files
   switch     Switch branches
   restore    Restore working tree files
   reset      Reset current HEAD to the specified state
   merge      Join two development histories together (three-way, conflicts as git's)
   cherry-pick Apply the changes introduced by some existing commits
   rebase     Reapply commits on top of another base tip (non-interactive)
   stash      Stash the changes in a dirty working directory away
   apply      Apply a patch to files
   tag        Create, list or delete tags
   describe   Give an object a human readable name based on an available ref
   mv         Move or rename a file, a directory, or a symlink
   rev-parse  Pick out and massage parameters

Hooks never run: there are no processes in this tier.
"""
