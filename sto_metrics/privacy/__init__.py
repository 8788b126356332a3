"""Privacy: the suppression gate every published number passes."""
