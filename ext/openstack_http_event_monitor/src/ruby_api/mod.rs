pub mod errors;
pub mod native;
