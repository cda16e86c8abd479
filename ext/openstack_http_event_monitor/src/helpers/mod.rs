pub mod fstring;
pub mod nogvl;
