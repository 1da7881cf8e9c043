pub mod avi;
pub mod plan;
