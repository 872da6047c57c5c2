"""The corral shell: bash, parsed with tree-sitter-bash and interpreted by corral."""
