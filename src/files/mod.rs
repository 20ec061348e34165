//! Stage 1, files: which files a run covers (discovery, excludes, path keys), their text and
//! positions, notebooks as Python, the nesting gate that keeps hostile input out of the parser,
//! and writing fixed files back safely. Imports no other stage.

pub mod depth;
pub mod discover;
pub mod edit;
pub mod notebook;
pub mod paths;
pub mod source;
pub mod write;
