pub mod nogvl;
pub mod fstring;
