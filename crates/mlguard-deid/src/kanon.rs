//! k-anonymity enforcement: hierarchy-based full-domain generalization and
//! Mondrian partitioning, with a suppression limit and information loss.
