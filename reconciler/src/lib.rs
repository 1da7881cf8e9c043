pub mod avi;
pub mod plan;
pub mod retry;
pub mod run;
