pub mod avi;
pub mod plan;
pub mod run;
